// Profile events in the forecast: windows that state the online demand they expect (a flash sale),
// which no learned curve can foresee. For each 15-minute slot of the horizon, the events in force at
// some instant of it and the largest factor each reaches there.
//
// Within an occurrence [start, end) a factor is f(t) = 1 + (F - 1) x min(1, (t - start) / ramp): it
// rises (or falls, F < 1) from 1 over the ramp and holds F until the end; CPU's F is the event's
// factor, memory's its memoryFactor, on the same ramp. f is monotonic, so its largest value over a
// slot is at one end of the part of the slot the occurrence covers. A slot the
// events cover only in part keeps its plain forecast as a candidate too (the forecaster takes the
// largest candidate per resource: conservative for online, whatever the events' precedence).

import { SLOT_MS } from '../app-curves.ts';
import type { OnlineDemand, Profile } from '../profile.ts';
import { occurrences } from '../timeline.ts';

export interface SlotEvent {
  /** The window's name, for explanations. */
  readonly window: string;
  /** The largest CPU factor the event reaches within the slot. */
  readonly factor: number;
  /** The largest memory factor the event reaches within the slot. */
  readonly memoryFactor: number;
  readonly of: OnlineDemand['of'];
}

export interface SlotEvents {
  /** Events in force in slot k of the horizon (empty arrays for most slots). */
  readonly events: readonly (readonly SlotEvent[])[];
  /** Whether the events cover every instant of slot k (else the plain forecast is a candidate too). */
  readonly covered: Uint8Array;
}

const hasDemand = (w: { onlineDemand?: OnlineDemand }): boolean => w.onlineDemand !== undefined;

/** The CPU factor of an event at instant t within its occurrence. */
export function factorAt(d: OnlineDemand, start: number, t: number): number {
  return ramped(d.factor, d.rampMs, start, t);
}

/** The memory factor of an event at instant t within its occurrence. */
export function memoryFactorAt(d: OnlineDemand, start: number, t: number): number {
  return ramped(d.memoryFactor, d.rampMs, start, t);
}

function ramped(f: number, rampMs: number, start: number, t: number): number {
  if (rampMs <= 0) return f;
  return 1 + (f - 1) * Math.min(1, Math.max(0, (t - start) / rampMs));
}

/** The events of `slots` slots starting at `start` (a slot boundary). */
export function slotEvents(profile: Profile, start: number, slots: number): SlotEvents {
  const events: SlotEvent[][] = Array.from({ length: slots }, () => []);
  const covered = new Uint8Array(slots);
  const end = start + slots * SLOT_MS;
  const occ = occurrences(profile, start, end, hasDemand);
  // Per slot, the covered spans (to tell a slot covered in full from one covered in part).
  const spans: [number, number][][] = Array.from({ length: slots }, () => []);
  for (const o of occ) {
    const d = o.window.onlineDemand!;
    const k0 = Math.max(0, Math.floor((o.start - start) / SLOT_MS));
    const k1 = Math.min(slots - 1, Math.floor((o.end - 1 - start) / SLOT_MS));
    for (let k = k0; k <= k1; k++) {
      const a = Math.max(o.start, start + k * SLOT_MS);
      const b = Math.min(o.end, start + (k + 1) * SLOT_MS) - 1;
      if (b < a) continue;
      events[k]!.push({
        window: o.window.name,
        factor: Math.max(factorAt(d, o.start, a), factorAt(d, o.start, b)),
        memoryFactor: Math.max(memoryFactorAt(d, o.start, a), memoryFactorAt(d, o.start, b)),
        of: d.of,
      });
      spans[k]!.push([a, b + 1]);
    }
  }
  for (let k = 0; k < slots; k++) {
    const s = spans[k]!.sort((x, y) => x[0] - y[0]);
    let reach = start + k * SLOT_MS;
    for (const [a, b] of s) if (a <= reach) reach = Math.max(reach, b);
    covered[k] = reach >= start + (k + 1) * SLOT_MS ? 1 : 0;
  }
  return { events, covered };
}
