// tidal profile validate FILE | tidal profile show FILE --at TIME

import type { Command } from 'commander';
import { formatDuration } from '../core/duration.ts';
import type { Profile, WindowSpec } from '../core/profile.ts';
import { ProfileTimeline } from '../core/timeline.ts';
import { findOverlaps, PRECEDENCE_RULE } from '../../profiles/overlaps.ts';
import { loadProfileFile, ProfileError } from '../../profiles/loader.ts';
import { profileWarnings } from '../../profiles/warnings.ts';
import { formatTime, parseTime } from './time.ts';

export function register(program: Command): void {
  const profile = program.command('profile').description('check and inspect time-sharing profiles');

  profile
    .command('validate')
    .argument('<file>', 'profile YAML')
    .option('--days <n>', 'report window overlaps over this many days', '14')
    .option('--from <time>', 'start of the overlap report (ISO 8601)', 'now')
    .description('validate a profile; errors name file, line and field; explains how overlapping windows resolve')
    .action((file: string, opts: { days: string; from: string }) => {
      const p = load(file);
      const from = parseTime(opts.from, p.timeZone);
      const days = Number(opts.days);
      if (!Number.isFinite(days) || days <= 0) throw new Error(`--days must be a positive number (got ${opts.days})`);
      console.log(`${file}: valid profile "${p.name}" (${p.timeZone}), ${p.windows.length} window(s)`);
      console.log(`  default: ${levelText(p.default)}`);
      for (const w of p.windows) console.log(`  ${w.name}: ${whenText(w, p)}; ${windowText(w)}`);
      const warnings = profileWarnings(p, from);
      for (const w of warnings) console.log(`warning: ${w}`);
      const overlaps = findOverlaps(p, from, from + days * 86_400_000);
      if (overlaps.length > 0) {
        console.log(`overlaps in the ${days} days from ${formatTime(from, p.timeZone)} (${PRECEDENCE_RULE}):`);
        for (const o of overlaps) {
          console.log(`  ${formatTime(o.start, p.timeZone)} .. ${formatTime(o.end, p.timeZone)}: ${o.a.name} / ${o.b.name} -> ${o.winner.name} (${o.why})`);
        }
      }
    });

  profile
    .command('show')
    .argument('<file>', 'profile YAML')
    .option('--at <time>', 'instant to evaluate (ISO 8601; local to the profile time zone without an offset)', 'now')
    .description('which window is active at a time, and the batch share and headroom in force')
    .action((file: string, opts: { at: string }) => {
      const p = load(file);
      const t = parseTime(opts.at, p.timeZone);
      const tl = new ProfileTimeline(p);
      const l = tl.at(t);
      const w = l.segment.window;
      console.log(`profile ${p.name} at ${formatTime(t, p.timeZone)}`);
      console.log(`  active window: ${w ? w.name : '(none: default level)'}${w ? ` (${formatTime(l.segment.start, p.timeZone)} .. ${formatTime(l.segment.end, p.timeZone)})` : ''}`);
      console.log(`  batch share:     ${pct(l.batchShare)} of allocatable${l.batchShare !== l.segment.level.batchShare ? ` (window says ${pct(l.segment.level.batchShare)})` : ''}`);
      console.log(`  online headroom: ${pct(l.onlineHeadroom)} of allocatable${l.onlineHeadroom !== l.segment.level.onlineHeadroom ? ` (window says ${pct(l.segment.level.onlineHeadroom)})` : ''}`);
      if (l.drainingFor) {
        const d = l.drainingFor;
        console.log(`  draining ahead of ${d.window?.name ?? 'the default level'} at ${formatTime(d.start, p.timeZone)} (lead ${formatDuration(d.level.drainLeadMs)}, ramp ${formatDuration(d.level.rampMs)})`);
      }
      const next = tl.nextChange(t);
      if (Number.isFinite(next)) {
        const n = tl.at(next);
        console.log(`  next change: ${formatTime(next, p.timeZone)} -> batch share ${pct(n.batchShare)}, headroom ${pct(n.onlineHeadroom)}${n.drainingFor ? ` (draining for ${n.drainingFor.window?.name ?? 'default'})` : ` (${n.segment.window?.name ?? 'default'})`}`);
      }
    });
}

function load(file: string): Profile {
  try {
    return loadProfileFile(file);
  } catch (e) {
    if (e instanceof ProfileError) {
      console.error(e.message);
      console.error(`${e.issues.length} error(s) in ${file}`);
      process.exit(1);
    }
    throw e;
  }
}

function pct(x: number): string {
  return `${(x * 100).toFixed(1).replace(/\.0$/, '')}%`;
}

function levelText(l: { batchShare: number; onlineHeadroom: number; drainLeadMs: number; rampMs: number }): string {
  const extra = l.drainLeadMs || l.rampMs ? `, drain lead ${formatDuration(l.drainLeadMs)}, ramp ${formatDuration(l.rampMs)}` : '';
  return `batchShare ${l.batchShare}, onlineHeadroom ${l.onlineHeadroom}${extra}`;
}

/** A window's level (none for one that states only a demand) and its online demand, if any. */
function windowText(w: WindowSpec): string {
  const d = w.onlineDemand;
  const demand = d ? `online demand ${d.factor}x${d.memoryFactor !== d.factor ? ` (memory ${d.memoryFactor}x)` : ''} of ${d.of}${d.rampMs ? ` (ramp ${formatDuration(d.rampMs)})` : ''}` : '';
  if (w.demandOnly) return `${demand} (no level of its own)`;
  return demand ? `${levelText(w)}; ${demand}` : levelText(w);
}

const DAYS = ['', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

function whenText(w: WindowSpec, p: Profile): string {
  const hm = (m: number): string => `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
  if (w.recurrence) {
    const r = w.recurrence;
    const days = r.days.length === 7 ? 'daily' : r.days.map((d) => DAYS[d]).join(',');
    return `${days} ${hm(r.startMinute)}-${hm(r.endMinute)}${w.priority ? `, priority ${w.priority}` : ''}`;
  }
  return `${formatTime(w.start!, p.timeZone)} .. ${formatTime(w.end!, p.timeZone)}${w.priority ? `, priority ${w.priority}` : ''}`;
}
