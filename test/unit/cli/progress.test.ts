// Progress off a terminal (a log file, CI): a plain line every 5 s of wall time, with the replay's
// virtual time, its share of the trace's span and the events so far, so long runs are not silent.

import { afterEach, describe, expect, it, vi } from 'vitest';
import { progressBar } from '../../../scheduler/cli/simulate.ts';
import type { Trace } from '../../../simulator/traces/events.ts';

const T0 = Date.parse('2026-11-16T00:00:00Z');
const H = 3_600_000;
const trace = (end: number | undefined) => ({ info: { format: 'tidal-trace', source: 't', start: T0, end, skipped: new Map() }, events: async function* () {} }) as unknown as Trace;

describe('progress lines when stderr is not a terminal', () => {
  afterEach(() => vi.restoreAllMocks());

  function capture(end: number | undefined) {
    const tty = Object.getOwnPropertyDescriptor(process.stderr, 'isTTY');
    Object.defineProperty(process.stderr, 'isTTY', { value: false, configurable: true });
    let wall = 1_000_000;
    vi.spyOn(Date, 'now').mockImplementation(() => wall);
    const lines: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => (lines.push(String(s)), true));
    const bar = progressBar(trace(end), true, 'replay');
    if (tty) Object.defineProperty(process.stderr, 'isTTY', tty);
    else delete (process.stderr as { isTTY?: boolean }).isTTY;
    return { bar, lines, advance: (ms: number) => (wall += ms) };
  }

  it('prints one line per 5 s of wall time, with the share of the declared span', () => {
    const { bar, lines, advance } = capture(T0 + 10 * H);
    bar.update(T0 + H, 10);
    advance(4999);
    bar.update(T0 + 2 * H, 20);
    expect(lines).toEqual([]);
    advance(1);
    bar.update(T0 + 5 * H, 12_345);
    expect(lines).toEqual(['replay: 2026-11-16T05:00 (50%), 12,345 events\n']);
    bar.update(T0 + 6 * H, 12_346); // the same second: nothing
    advance(5000);
    bar.update(T0 + 10 * H, 20_000);
    bar.stop();
    expect(lines).toEqual(['replay: 2026-11-16T05:00 (50%), 12,345 events\n', 'replay: 2026-11-16T10:00 (100%), 20,000 events\n']);
  });

  it("on worker threads, adds each worker's share of the span after the slowest's", () => {
    const { bar, lines, advance } = capture(T0 + 10 * H);
    advance(5000);
    bar.update(T0 + 2 * H, 100, [
      { policies: ['kube-default'], now: T0 + 5 * H, events: 300 },
      { policies: ['koordinator', 'time-sharing'], now: T0 + 2 * H, events: 100 },
    ]);
    expect(lines).toEqual(['replay: 2026-11-16T02:00 (20%), 100 events [kube-default 50%, koordinator+time-sharing 20%]\n']);
  });

  it('leaves the share out when the trace declares no end, and prints nothing when turned off', () => {
    const { bar, lines, advance } = capture(undefined);
    advance(5000);
    bar.update(T0 + H, 7);
    expect(lines).toEqual(['replay: 2026-11-16T01:00, 7 events\n']);
    const off = progressBar(trace(T0 + H), false, 'replay');
    advance(60_000);
    off.update(T0 + H, 1);
    expect(lines).toHaveLength(1);
  });
});
