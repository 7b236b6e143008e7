import { stringify } from 'yaml';
import { BerthError } from '../lib/errors';

export type OutputFormat = 'table' | 'json' | 'yaml';

export function parseFormat(value: string | undefined): OutputFormat {
  if (value === undefined || value === 'table' || value === 'wide') return 'table';
  if (value === 'json' || value === 'yaml') return value;
  throw new UsageError(`unknown output format ${JSON.stringify(value)} (expected json, yaml or table)`);
}

/** Bad command-line input: exit code 2 (invalid_argument), like most Unix tools. */
export class UsageError extends BerthError {
  constructor(message: string) {
    super('invalid_argument', message);
  }
}

/** A table column: its header and how to read it from a row. */
export type Column<T> = [string, (row: T) => unknown];

/** Prints rows as an aligned table with upper-case headers, or the raw objects as JSON/YAML. */
export function printRows<T>(format: OutputFormat, raw: unknown, columns: Column<T>[], rows: T[]): void {
  if (format === 'json') {
    process.stdout.write(`${JSON.stringify(raw, null, 2)}\n`);
    return;
  }
  if (format === 'yaml') {
    process.stdout.write(stringify(raw));
    return;
  }
  const cells = rows.map((r) =>
    columns.map(([, get]) => {
      const v = get(r);
      return v === undefined || v === null || v === '' ? '-' : String(v);
    }),
  );
  const headers = columns.map(([h]) => h.toUpperCase());
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c: string[]) => c.map((x, i) => (i === c.length - 1 ? x : x.padEnd(widths[i]))).join('   ');
  process.stdout.write(`${line(headers)}\n`);
  for (const c of cells) process.stdout.write(`${line(c)}\n`);
  if (rows.length === 0) process.stdout.write('(none)\n');
}

export function formatBytes(bytes: number | string | undefined): string {
  const n = Number(bytes ?? 0);
  const units = ['B', 'Ki', 'Mi', 'Gi', 'Ti'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${Number.isInteger(v) ? v : v.toFixed(1)}${units[i]}`;
}
