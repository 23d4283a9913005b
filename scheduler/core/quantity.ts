// Kubernetes resource quantities as the core counts them: CPU in millicores, memory in bytes.
// Parsing follows k8s.io/apimachinery's resource.Quantity for the suffixes users write.

const BINARY: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
const DECIMAL: Record<string, number> = { n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };
const QUANTITY = /^([+-]?(?:\d+\.?\d*|\.\d+))(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E))?$/;

/** Parses a quantity to its value in base units (cores for CPU, bytes for memory). Throws on malformed input. */
export function parseQuantity(text: string | number): number {
  if (typeof text === 'number') {
    if (!Number.isFinite(text)) throw new Error(`quantity ${text} is not finite`);
    return text;
  }
  const m = QUANTITY.exec(text.trim());
  if (!m) throw new Error(`"${text}" is not a Kubernetes quantity (examples: 500m, 2, 1.5Gi, 256Mi)`);
  const base = Number(m[1]);
  if (m[2]) return base * 10 ** Number(m[2].slice(1));
  const suffix = m[3] ?? '';
  return base * (BINARY[suffix] ?? DECIMAL[suffix]!);
}

/** CPU quantity to whole millicores (rounded up, as the apiserver rounds requests). */
export function parseCpuMilli(text: string | number): number {
  return Math.ceil(parseQuantity(text) * 1000 - 1e-9);
}

/** Memory quantity to whole bytes. */
export function parseMemoryBytes(text: string | number): number {
  return Math.ceil(parseQuantity(text) - 1e-9);
}

export function formatCpu(milli: number): string {
  return milli % 1000 === 0 ? String(milli / 1000) : `${Math.round(milli)}m`;
}

export function formatMemory(bytes: number): string {
  for (const [suffix, size] of [['Gi', 2 ** 30], ['Mi', 2 ** 20], ['Ki', 2 ** 10]] as const) {
    if (Math.abs(bytes) >= size) {
      const v = bytes / size;
      return `${Number.isInteger(v) ? v : v.toFixed(1)}${suffix}`;
    }
  }
  return `${Math.round(bytes)}`;
}
