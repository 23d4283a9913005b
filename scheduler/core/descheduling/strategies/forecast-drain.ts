// Forecast drain: before a forecast rise (and at once when a node runs above its band), evict only the
// forecast shortfall. Per node and resource, over the slots from now's through `leadSlots` ahead,
//
//   shortfall = max over k of (upper(k) + committed(k) - allocatable x target)
//
// upper(k) being the node's forecast upper band of online-side usage (forecast/node-forecast.ts; the
// forecast is anchored on the latest sample, so a node running above its band shows the excess in
// slot 0 at once) and committed(k) the batch still holding requests in slot k (span-capacity.ts), the
// pods already leaving (terminating, or evicted in flight) left out. It is the same formula the
// ForecastCapacity filter admits batch by, so a pod the filter admitted is drained only when the
// forecast changed (a mis-forecast, an event, a pod outliving its runtime), and a pod drained from a
// node is not admitted back to it while the shortfall lasts (no evict-then-replace loop). Paid down by
// the victims' commitments, slot by slot (a pod that ends before a slot's excess frees nothing there,
// and is not evicted for it); the evictor takes the cheapest victims first (victims.ts compareVictims:
// checkpointable, then least progress) and stops once every slot's shortfall is met, so a plan never
// evicts a pod after the shortfall is covered. With batch CPU committed by usage (ForecastCapacity batchCpu), a
// victim pays down the CPU it was committed at, not its request.

import { SLOTS_PER_DAY } from '../../app-curves.ts';
import type { ForecastBook } from '../../forecast/book.ts';
import { slotsHeld } from '../../forecast/span-capacity.ts';
import type { PodInfo, Resources } from '../../model.ts';
import type { Profile } from '../../profile.ts';
import type { ClusterState, NodeState } from '../../state.ts';
import { SlotExcessNeed } from '../needs.ts';

export interface ForecastDrainConfig {
  /** Fraction of allocatable that the online upper band and batch may fill together (the filter's target). */
  target: number;
  /** Slots ahead of now's slot the shortfall looks at (2: the coming 30-45 minutes). */
  leadSlots: number;
}

export interface ForecastDrainInput {
  state: ClusterState;
  now: number;
  book: ForecastBook;
  profile: Profile;
  config: ForecastDrainConfig;
  /** Pods already asked to leave: their requests no longer count. */
  inFlight: ReadonlySet<string>;
}

/** A node's shortfall and the slot where it peaks (per resource), for plans and explanations. */
export interface Shortfall extends Resources {
  slotCpu: number;
  slotMem: number;
}

/** The node's excess in each slot of the lead (upper + committed - allocatable x target; may be negative), from the forecast's start. */
export interface SlotExcess {
  start: number;
  cpu: Float64Array;
  memory: Float64Array;
}

export function forecastExcess(input: ForecastDrainInput, node: NodeState): SlotExcess {
  const { state, now, book, profile, config, inFlight } = input;
  const e = book.forecast(state, node, profile, now);
  const f = e.forecast;
  const slots = Math.min(f.slots, SLOTS_PER_DAY, 1 + Math.max(0, Math.floor(config.leadSlots)));
  let leaving: Set<string> | undefined;
  for (const p of node.pods.values()) if (p.class === 'batch' && (p.terminating || inFlight.has(p.uid))) (leaving ??= new Set()).add(p.uid);
  const c = book.commitmentsAt(state, node, e, slots, now, leaving);
  const a = node.spec.allocatable;
  const cpu = new Float64Array(slots);
  const memory = new Float64Array(slots);
  for (let k = 0; k < slots; k++) {
    cpu[k] = f.upperCpu[k]! + c.cpu[k]! - a.cpu * config.target;
    memory[k] = f.upperMem[k]! + c.memory[k]! - a.memory * config.target;
  }
  return { start: f.start, cpu, memory };
}

/** The node's forecast shortfall over the lead (see the file comment): its largest slot excess per resource, 0 where it fits. */
export function forecastShortfall(input: ForecastDrainInput, node: NodeState): Shortfall {
  const x = forecastExcess(input, node);
  const out: Shortfall = { cpu: 0, memory: 0, slotCpu: 0, slotMem: 0 };
  for (let k = 0; k < x.cpu.length; k++) {
    if (x.cpu[k]! > out.cpu) {
      out.cpu = x.cpu[k]!;
      out.slotCpu = k;
    }
    if (x.memory[k]! > out.memory) {
      out.memory = x.memory[k]!;
      out.slotMem = k;
    }
  }
  return out;
}

/** One need per node with a forecast shortfall, paid down slot by slot (needs.ts SlotExcessNeed). */
export function forecastDrainNeeds(input: ForecastDrainInput): Array<SlotExcessNeed<'forecast-drain'>> {
  const pct = Math.round(input.config.target * 100);
  const message = (node: NodeState) =>
    `Tidal forecast drain: ${node.name}'s forecast online usage (upper band) and its batch would exceed ${pct}% of the node within ${(input.config.leadSlots + 1) * 15} minutes; evicting only the shortfall`;
  // A victim pays down what it is committed at (its memory request, its CPU as the book counts it)
  // in the slots its commitment covers: a pod ending before the shortfall's slot frees nothing there.
  const { book, state, now } = input;
  const freed = (p: PodInfo): Resources => ({ cpu: book.podCpu(state, p), memory: p.requests.memory });
  const out: Array<SlotExcessNeed<'forecast-drain'>> = [];
  for (const node of input.state.nodeList) {
    const x = forecastExcess(input, node);
    let over = false;
    for (let k = 0; k < x.cpu.length && !over; k++) over = x.cpu[k]! > 0 || x.memory[k]! > 0;
    if (!over) continue;
    const held = (p: PodInfo): number => slotsHeld(book.committedUntil(state, p, now), x.start, x.cpu.length);
    out.push(new SlotExcessNeed(node, 'forecast-drain', x, held, freed, message));
  }
  return out;
}
