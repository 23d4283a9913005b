import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { TraceEvent } from '../../../simulator/traces/events.ts';
import { ALIBABA_2018, alibabaDensity, DAY, double11Multiplier, generate, HOUR, MINUTE, resolveOptions, type SyntheticInput } from '../../../simulator/traces/synthetic.ts';
import { serializeEvent } from '../../../simulator/traces/tidal.ts';
import { Rng } from '../../../simulator/traces/rng.ts';
import { collect } from './helpers.ts';

const PEAK = Date.parse('2026-11-11T00:00:00+08:00');

async function digest(input: SyntheticInput): Promise<{ hash: string; count: number }> {
  const h = createHash('sha256');
  let count = 0;
  for await (const e of generate(input).events()) {
    h.update(serializeEvent(e) + '\n');
    count++;
  }
  return { hash: h.digest('hex'), count };
}

/** Total online CPU demand (millicores) at each app-usage tick: fraction x live replicas x request. */
function onlineDemand(events: TraceEvent[]): Map<number, number> {
  const live = new Map<string, { cpu: number; n: number }>();
  const byUid = new Map<string, string>();
  const demand = new Map<number, number>();
  for (const e of events) {
    if (e.type === 'pod-arrival' && e.pod.class === 'online') {
      const a = live.get(e.pod.app) ?? { cpu: e.pod.requests.cpu, n: 0 };
      a.n++;
      live.set(e.pod.app, a);
      byUid.set(e.pod.uid, e.pod.app);
    } else if (e.type === 'pod-end') {
      live.get(byUid.get(e.uid)!)!.n--;
    } else if (e.type === 'app-usage' && live.has(e.app)) {
      const a = live.get(e.app)!;
      demand.set(e.time, (demand.get(e.time) ?? 0) + e.cpu * a.n * a.cpu);
    }
  }
  return demand;
}

describe('Rng', () => {
  it('is deterministic per (seed, name) and independent across names', () => {
    const a = new Rng(7, 'x');
    const b = new Rng(7, 'x');
    const c = new Rng(7, 'y');
    const sa = Array.from({ length: 5 }, () => a.nextU32());
    expect(Array.from({ length: 5 }, () => b.nextU32())).toEqual(sa);
    expect(Array.from({ length: 5 }, () => c.nextU32())).not.toEqual(sa);
    const u = Array.from({ length: 10_000 }, () => a.next());
    expect(Math.min(...u)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...u)).toBeLessThan(1);
    expect(u.reduce((s, x) => s + x, 0) / u.length).toBeCloseTo(0.5, 1);
  });
});

describe('synthetic generator', () => {
  it('is deterministic: same seed and options give byte-identical output; another seed differs', async () => {
    const opts: SyntheticInput = { seed: 42, days: 2, start: '2026-11-10T00:00:00+08:00', nodes: { count: 10 } };
    const a = await digest(opts);
    const b = await digest(opts);
    expect(b).toEqual(a);
    const c = await digest({ ...opts, seed: 43 });
    expect(c.hash).not.toBe(a.hash);
  });

  it('emits events in time order inside [start, end), nodes and pods first', async () => {
    const t = generate({ days: 2, nodes: { count: 7, zones: 3 } });
    const events = await collect(t.events());
    expect(t.info).toMatchObject({ format: 'synthetic', start: Date.parse('2026-11-04T00:00:00+08:00') });
    expect(t.info.end).toBe(t.info.start! + 2 * DAY);
    for (let i = 1; i < events.length; i++) expect(events[i]!.time).toBeGreaterThanOrEqual(events[i - 1]!.time);
    expect(events[0]!.time).toBe(t.info.start);
    expect(events[events.length - 1]!.time).toBeLessThan(t.info.end!);
    const nodes = events.filter((e) => e.type === 'node-add');
    expect(nodes.map((e) => e.node.zone)).toEqual(['zone-a', 'zone-b', 'zone-c', 'zone-a', 'zone-b', 'zone-c', 'zone-a']);
    expect(events.slice(0, 7).every((e) => e.type === 'node-add')).toBe(true);
    // Usage ticks every 5 minutes for every app.
    const ticks = new Set(events.filter((e) => e.type === 'app-usage' && e.app.startsWith('app-')).map((e) => e.time));
    expect(ticks.size).toBe((2 * DAY) / (5 * MINUTE));
  });

  it('puts the Double 11 surge at 00:00 on 11 November (Asia/Shanghai), with scale-out before and after', async () => {
    const t = generate({ start: '2026-11-09T00:00:00+08:00', days: 3 });
    const events = await collect(t.events());
    const demand = onlineDemand(events);
    // The busiest instant of the trace is the peak itself.
    const [busiest] = [...demand.entries()].sort((a, b) => b[1] - a[1])[0]!;
    expect(busiest).toBe(PEAK);
    // About factor (4) times the same instant a day earlier.
    const ratio = demand.get(PEAK)! / demand.get(PEAK - DAY)!;
    expect(ratio).toBeGreaterThan(3.2);
    expect(ratio).toBeLessThan(4.8);
    // Decays over a few hours: well down 6 hours later, back to normal (within noise) a day later.
    expect(demand.get(PEAK + 6 * HOUR)! / demand.get(PEAK - DAY + 6 * HOUR)!).toBeLessThan(1.6);
    expect(demand.get(PEAK + DAY - 2 * HOUR)! / demand.get(PEAK - 2 * HOUR)!).toBeLessThan(1.3);
    // Extra replicas arrive 2 h before the peak and leave 8 h after it.
    const extra = events.filter((e) => e.type === 'pod-arrival' && e.pod.uid.includes('-x'));
    const ends = events.filter((e) => e.type === 'pod-end');
    expect(extra.length).toBeGreaterThan(0);
    expect(new Set(extra.map((e) => e.time))).toEqual(new Set([PEAK - 2 * HOUR]));
    expect(ends.length).toBe(extra.length);
    expect(new Set(ends.map((e) => e.time))).toEqual(new Set([PEAK + 8 * HOUR]));
    // The multiplier function agrees.
    expect(double11Multiplier(PEAK, t.options.double11)).toBe(4);
    expect(double11Multiplier(PEAK - 2 * HOUR, t.options.double11)).toBe(1);
  });

  it('can move or disable the surge', async () => {
    const off = onlineDemand(await collect(generate({ start: '2026-11-10T00:00:00+08:00', days: 2, double11: { enabled: false } }).events()));
    expect(off.get(PEAK)! / off.get(PEAK - DAY)!).toBeLessThan(1.3);
    const at = Date.parse('2026-11-10T12:00:00+08:00');
    const moved = await collect(generate({ start: '2026-11-10T00:00:00+08:00', days: 1, double11: { at, factor: 3, scaleOut: 1 } }).events());
    const d = onlineDemand(moved);
    expect(d.get(at)! / d.get(at - 6 * HOUR)!).toBeGreaterThan(2);
    expect(moved.some((e) => e.type === 'pod-end')).toBe(false);
  });

  it('gives batch runtimes a heavy, capped tail and the configured job mix', async () => {
    const t = generate({ days: 8, double11: { enabled: false }, online: { apps: 1 } });
    const pods = (await collect(t.events())).flatMap((e) => (e.type === 'pod-arrival' && e.pod.class === 'batch' ? [e.pod] : []));
    expect(pods.length).toBeGreaterThan(3000);
    const r = pods.map((p) => p.runtimeMs).sort((a, b) => a - b);
    const median = r[Math.floor(r.length / 2)]!;
    const mean = r.reduce((s, x) => s + x, 0) / r.length;
    const p99 = r[Math.floor(r.length * 0.99)]!;
    expect(median).toBeGreaterThan(15 * MINUTE);
    expect(median).toBeLessThan(60 * MINUTE);
    expect(mean / median).toBeGreaterThan(1.5);
    expect(p99 / median).toBeGreaterThan(8);
    expect(r[0]).toBeGreaterThanOrEqual(MINUTE);
    expect(r[r.length - 1]).toBeLessThanOrEqual(24 * HOUR);
    const jobs = new Map(pods.map((p) => [p.job, p]));
    const frac = (f: (p: (typeof pods)[number]) => boolean) => [...jobs.values()].filter(f).length / jobs.size;
    expect(frac((p) => p.checkpointable)).toBeGreaterThan(0.25);
    expect(frac((p) => p.checkpointable)).toBeLessThan(0.35);
    expect(frac((p) => p.declaredRuntimeMs > 0)).toBeGreaterThan(0.45);
    expect(frac((p) => p.declaredRuntimeMs > 0)).toBeLessThan(0.55);
    expect(pods.every((p) => p.declaredRuntimeMs % MINUTE === 0)).toBe(true);
  });

  it('modulates batch arrivals over the day (more around the peak hour)', async () => {
    const t = generate({ days: 8, double11: { enabled: false }, online: { apps: 1 }, batch: { jobsPerHour: 20, peakHour: 2, diurnalAmplitude: 0.8 } });
    const byHour = new Array<number>(24).fill(0);
    const seen = new Set<string>();
    for await (const e of t.events()) {
      if (e.type === 'pod-arrival' && e.pod.class === 'batch' && !seen.has(e.pod.job)) {
        seen.add(e.pod.job);
        byHour[new Date(e.time + 8 * HOUR).getUTCHours()]!++;
      }
    }
    const near = byHour[1]! + byHour[2]! + byHour[3]!;
    const far = byHour[13]! + byHour[14]! + byHour[15]!;
    expect(near / far).toBeGreaterThan(4);
    // Mean rate as configured: 20 per hour over 8 days.
    expect(seen.size / (8 * 24)).toBeGreaterThan(18);
    expect(seen.size / (8 * 24)).toBeLessThan(22);
  });

  it('streams: a 4,000-node trace at Alibaba density starts at once', async () => {
    const opts = alibabaDensity(4000);
    expect(resolveOptions(opts).online.apps).toBe(Math.round((4000 * 71_000) / 4034 / 8.5));
    const t0 = performance.now();
    let n = 0;
    for await (const _ of generate(opts).events()) if (++n >= 100_000) break;
    expect(performance.now() - t0).toBeLessThan(5000);
  });

  it('alibabaDensity: the Double 11 peak of online requests fits the cluster it describes, at any size and seed', async () => {
    for (const nodes of [10, 50, 300]) {
      for (const seed of [1, 2, 3]) {
        // The day around the peak: every app at its festival replica count from 22:00.
        const t = generate(alibabaDensity(nodes, { seed, start: '2026-11-10T12:00:00+08:00', days: 1 }));
        const cap = { cpu: nodes * t.options.nodes.cpu, memory: nodes * t.options.nodes.memory };
        const live = new Map<string, { cpu: number; memory: number }>();
        const on = { cpu: 0, memory: 0 };
        const peak = { cpu: 0, memory: 0 };
        for await (const e of t.events()) {
          if (e.type === 'pod-arrival' && e.pod.class === 'online') {
            live.set(e.pod.uid, e.pod.requests);
            on.cpu += e.pod.requests.cpu;
            on.memory += e.pod.requests.memory;
            peak.cpu = Math.max(peak.cpu, on.cpu);
            peak.memory = Math.max(peak.memory, on.memory);
          } else if (e.type === 'pod-end' && live.has(e.uid)) {
            on.cpu -= live.get(e.uid)!.cpu;
            on.memory -= live.get(e.uid)!.memory;
          }
        }
        expect(peak.cpu / cap.cpu, `${nodes} nodes, seed ${seed}`).toBeLessThanOrEqual(0.9);
        expect(peak.memory / cap.memory, `${nodes} nodes, seed ${seed}`).toBeLessThanOrEqual(0.9);
        // Large enough clusters are not trimmed: the peak is the calibrated ~81 % of CPU.
        if (nodes >= 300) expect(peak.cpu / cap.cpu).toBeGreaterThan(0.65);
      }
    }
  }, 60_000);

  it("alibabaDensity: the mean CPU demand is the v2018 machines' measured mean utilisation", async () => {
    // Online: each app's usage fraction x its live requests, time-weighted; batch: each pod's request
    // x its runtime (inside the trace) x its job's usage fraction. Three ordinary days, 150 nodes.
    const t = generate(alibabaDensity(150, { seed: 4, start: '2026-11-04T00:00:00+08:00', days: 3 }));
    const start = t.info.start!;
    const end = t.info.end!;
    const appReq = new Map<string, number>();
    const appUse = new Map<string, number>();
    const pending: number[] = [];
    let online = 0;
    let batch = 0;
    let last = start;
    for await (const e of t.events()) {
      if (e.time > last) {
        let u = 0;
        for (const [a, r] of appReq) u += r * (appUse.get(a) ?? 0);
        online += u * (e.time - last);
        last = e.time;
      }
      if (e.type === 'pod-arrival' && e.pod.class === 'online') appReq.set(e.pod.app, (appReq.get(e.pod.app) ?? 0) + e.pod.requests.cpu);
      else if (e.type === 'pod-arrival') pending.push(e.pod.requests.cpu * Math.min(e.pod.runtimeMs, end - e.time));
      else if (e.type === 'app-usage' && e.app.startsWith('job-')) batch += pending.splice(0).reduce((s, w) => s + w, 0) * e.cpu;
      else if (e.type === 'app-usage') appUse.set(e.app, e.cpu);
    }
    const cluster = 150 * t.options.nodes.cpu * (end - start);
    const mean = (online + batch) / cluster;
    expect(Math.abs(mean - ALIBABA_2018.meanCpuUtilisation)).toBeLessThan(0.06);
    expect(online / cluster).toBeGreaterThan(0.1);
  }, 60_000);

  it('rejects bad options with the option name', () => {
    expect(() => generate({ days: 0 })).toThrow('synthetic option days');
    expect(() => generate({ timeZone: 'Mars/Olympus' })).toThrow(/timeZone: unknown time zone/);
    expect(() => generate({ online: { replicas: { min: 5, max: 2 } } })).toThrow(/online.replicas/);
    expect(() => generate({ start: 'tomorrow' })).toThrow(/start: not an ISO 8601 instant/);
  });
});
