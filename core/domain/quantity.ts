/**
 * Resource quantities as users write them (Kubernetes-style suffixes), converted to the integer
 * units the core computes with: bytes for memory and storage, millicores for CPU. Integers keep
 * ledger sums exact — 0.1 + 0.2 never drifts past a capacity.
 */
import { QuantityError } from './errors';

/** Bytes (integer). */
export type Bytes = number;
/** Thousandths of a CPU core (integer): 500 = half a core. */
export type MilliCpu = number;

const BYTE_SUFFIXES: Readonly<Record<string, number>> = {
  '': 1,
  B: 1,
  Ki: 1024,
  Mi: 1024 ** 2,
  Gi: 1024 ** 3,
  Ti: 1024 ** 4,
  Pi: 1024 ** 5,
  Ei: 1024 ** 6,
  k: 1e3,
  K: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
};

const BYTES_EXPECTED =
  'expected a non-negative number with an optional suffix Ki, Mi, Gi, Ti, Pi, Ei (powers of 1024) ' +
  'or k, M, G, T, P, E (powers of 1000), e.g. "256Mi" or "1Gi"';

const NUMBER_WITH_SUFFIX = /^([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)\s*([A-Za-z]*)$/;

/**
 * Parses a byte quantity: a number of bytes or a string such as "256Mi", "1Gi", "1.5G", "4096".
 * Fractional byte results round up (Kubernetes does the same), so a request never shrinks.
 * @throws QuantityError naming `field`, the input and what was expected.
 */
export function parseBytes(input: string | number, field = 'quantity'): Bytes {
  if (typeof input === 'number') return checkBytes(input, input, field);
  if (typeof input !== 'string') throw new QuantityError(field, input, `is not a byte quantity; ${BYTES_EXPECTED}`);
  const match = NUMBER_WITH_SUFFIX.exec(input.trim());
  if (!match) throw new QuantityError(field, input, `is not a byte quantity; ${BYTES_EXPECTED}`);
  const [, digits, suffix] = match as unknown as [string, string, string];
  const multiplier = BYTE_SUFFIXES[suffix];
  if (multiplier === undefined) {
    const hint = suffix === 'm' ? ' ("m" means milli and only applies to CPU)' : '';
    throw new QuantityError(field, input, `has unknown suffix "${suffix}"${hint}; ${BYTES_EXPECTED}`);
  }
  return checkBytes(Number(digits) * multiplier, input, field);
}

function checkBytes(value: number, input: unknown, field: string): Bytes {
  if (!Number.isFinite(value)) throw new QuantityError(field, input, `is not a finite number; ${BYTES_EXPECTED}`);
  if (value < 0) throw new QuantityError(field, input, 'must not be negative');
  const bytes = Math.ceil(value);
  if (bytes > Number.MAX_SAFE_INTEGER) throw new QuantityError(field, input, 'is too large (above 8Pi)');
  return bytes;
}

const CPU_EXPECTED = 'expected cores as a number (0.5, 2) or millicores as a string with "m" ("500m")';

/**
 * Parses CPU: a number of cores (0.5, 2), a numeric string ("0.25") or millicores ("500m").
 * Anything finer than one millicore is refused rather than silently rounded.
 * @throws QuantityError
 */
export function parseCpu(input: string | number, field = 'cpu'): MilliCpu {
  let millis: number;
  if (typeof input === 'number') {
    millis = input * 1000;
  } else if (typeof input === 'string') {
    const match = NUMBER_WITH_SUFFIX.exec(input.trim());
    if (!match) throw new QuantityError(field, input, `is not a CPU quantity; ${CPU_EXPECTED}`);
    const [, digits, suffix] = match as unknown as [string, string, string];
    if (suffix === 'm') millis = Number(digits);
    else if (suffix === '') millis = Number(digits) * 1000;
    else throw new QuantityError(field, input, `has unknown CPU suffix "${suffix}"; ${CPU_EXPECTED}`);
  } else {
    throw new QuantityError(field, input, `is not a CPU quantity; ${CPU_EXPECTED}`);
  }
  if (!Number.isFinite(millis)) throw new QuantityError(field, input, `is not a finite number; ${CPU_EXPECTED}`);
  if (millis < 0) throw new QuantityError(field, input, 'must not be negative');
  // Tolerate binary float noise (0.29 * 1000 = 290.00000000000006) but not real sub-millicore requests.
  const rounded = Math.round(millis);
  if (Math.abs(millis - rounded) > 1e-6) throw new QuantityError(field, input, 'is finer than 1m (one millicore)');
  return rounded;
}

const FORMAT_UNITS: ReadonlyArray<readonly [string, number]> = [
  ['Ei', 1024 ** 6],
  ['Pi', 1024 ** 5],
  ['Ti', 1024 ** 4],
  ['Gi', 1024 ** 3],
  ['Mi', 1024 ** 2],
  ['Ki', 1024],
];

/** Formats bytes for humans with binary suffixes: 41943040 → "40Mi", 1610612736 → "1.5Gi", 512 → "512B". */
export function formatBytes(bytes: Bytes): string {
  const sign = bytes < 0 ? '-' : '';
  const abs = Math.abs(bytes);
  for (const [suffix, size] of FORMAT_UNITS) {
    if (abs >= size) return `${sign}${trimDecimal(abs / size)}${suffix}`;
  }
  return `${sign}${abs}B`;
}

/** Formats millicores: 2000 → "2", 500 → "500m". */
export function formatCpu(millis: MilliCpu): string {
  return millis % 1000 === 0 ? String(millis / 1000) : `${millis}m`;
}

function trimDecimal(value: number): string {
  // One decimal is enough to explain a rejection; floor so "free" is never overstated.
  const floored = Math.floor(value * 10) / 10;
  return Number.isInteger(floored) ? String(floored) : floored.toFixed(1);
}
