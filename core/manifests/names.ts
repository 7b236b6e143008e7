/**
 * Name rules. Object names (apps, storage classes, secrets, volume templates) are DNS labels:
 * they become parts of task ids ("pg-0"), claim ids ("pg/data/0"), container and volume names, so
 * they must be safe everywhere — and a "/" would make claim ids ambiguous.
 * Plugin names follow the CSI rule for driver names (dots allowed: "berth.local").
 */

export const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** CSI GetPluginInfo name rule: ≤ 63 chars, alphanumerics at both ends, '-', '_', '.' inside. */
export const CSI_DRIVER_NAME = /^[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$/;

/** Node ids: host-name like, dots allowed (agents often use the host name). */
export const NODE_ID = /^[A-Za-z0-9]([A-Za-z0-9._-]{0,251}[A-Za-z0-9])?$/;

/** Why `value` is not a DNS label, or undefined when it is one. Specific, so the user knows what to change. */
export function dnsLabelProblem(value: string): string | undefined {
  if (DNS_LABEL.test(value)) return undefined;
  const shown = JSON.stringify(value);
  if (value.length === 0) return 'must not be empty';
  if (value.includes('/')) return `${shown} must not contain "/"; use lowercase letters, digits and "-"`;
  if (value.length > 63) return `${shown} is ${value.length} characters long; at most 63 are allowed`;
  if (/[A-Z]/.test(value)) return `${shown} must be lowercase`;
  if (/^-|-$/.test(value)) return `${shown} must start and end with a letter or digit`;
  return `${shown} may only contain lowercase letters, digits and "-" (a DNS label)`;
}

export function csiDriverNameProblem(value: string): string | undefined {
  if (CSI_DRIVER_NAME.test(value)) return undefined;
  return `${JSON.stringify(value)} is not a CSI driver name: at most 63 characters, letters, digits, ".", "-" and "_", starting and ending with a letter or digit (e.g. "berth.local")`;
}

export function nodeIdProblem(value: string): string | undefined {
  if (NODE_ID.test(value)) return undefined;
  return `${JSON.stringify(value)} is not a node id: letters, digits, ".", "-" and "_", starting and ending with a letter or digit`;
}
