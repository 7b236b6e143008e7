/**
 * Secret values that cannot leak by accident: JSON.stringify, pino and util.inspect all see
 * "<redacted>" for every value. Code that really needs a value (the CSI client filling a request's
 * `secrets` field, the store writing its row) calls `reveal()`, which is easy to grep for.
 */
import { inspect } from 'node:util';

export const REDACTED = '<redacted>';

export class SecretData {
  readonly #values: ReadonlyMap<string, string>;

  constructor(values: Readonly<Record<string, string>>) {
    this.#values = new Map(Object.entries(values));
  }

  /** Key names are not secret: they are shown so users can check a secret has the keys a plugin needs. */
  keys(): string[] {
    return [...this.#values.keys()].sort();
  }

  get size(): number {
    return this.#values.size;
  }

  /** The plain values. Only for the place that hands them to a plugin, or persists them. */
  reveal(): Record<string, string> {
    return Object.fromEntries(this.#values);
  }

  /** True when both hold the same keys and values (apply idempotency), without exposing them. */
  equals(other: SecretData): boolean {
    const theirs = other.reveal();
    return this.#values.size === Object.keys(theirs).length && [...this.#values].every(([k, v]) => theirs[k] === v);
  }

  toJSON(): Record<string, string> {
    return Object.fromEntries(this.keys().map((k) => [k, REDACTED]));
  }

  toString(): string {
    return `SecretData(${this.keys().join(', ')})`;
  }

  [inspect.custom](): Record<string, string> {
    return this.toJSON();
  }
}
