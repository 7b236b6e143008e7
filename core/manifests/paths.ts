/** Field paths as people read them: ["spec", "volumes", 0, "claim", "size"] → "spec.volumes[0].claim.size". */

export type PathSegment = string | number;

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function formatPath(segments: readonly PathSegment[]): string {
  let out = '';
  for (const segment of segments) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (IDENTIFIER.test(segment)) out += out ? `.${segment}` : segment;
    else out += `[${JSON.stringify(segment)}]`; // map keys such as node ids ("node-1") or env names with dots
  }
  return out;
}
