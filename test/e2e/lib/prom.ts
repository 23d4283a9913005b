// Reading Prometheus text exposition (what Tidal's /metrics serves), enough for assertions.

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

export function parseMetrics(text: string): Sample[] {
  const out: Sample[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = LINE.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(LABEL)) labels[l[1]!] = l[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    const value = m[3] === '+Inf' ? Infinity : m[3] === '-Inf' ? -Infinity : Number(m[3]);
    out.push({ name: m[1]!, labels, value });
  }
  return out;
}

/** Metrics of one scrape, queried by name and (a subset of) labels. */
export class Metrics {
  readonly samples: Sample[];

  constructor(text: string) {
    this.samples = parseMetrics(text);
  }

  /** Sum of the samples named `name` whose labels include `labels` (0 when there are none). */
  sum(name: string, labels: Record<string, string> = {}): number {
    let total = 0;
    for (const s of this.samples) {
      if (s.name !== name) continue;
      if (Object.entries(labels).every(([k, v]) => s.labels[k] === v)) total += s.value;
    }
    return total;
  }

  /** The label sets of a metric's samples with a value above zero, for messages. */
  nonZero(name: string): Array<Record<string, string> & { value: string }> {
    return this.samples.filter((s) => s.name === name && s.value > 0).map((s) => ({ ...s.labels, value: String(s.value) }));
  }
}
