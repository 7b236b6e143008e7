/**
 * Errors of manifest parsing and validation.
 *
 * Validation never stops at the first problem: every issue in every document is collected, so a
 * user fixes a file in one round. Each issue names the field by a readable path
 * (`spec.volumes[0].claim.size`), says what was expected and, for YAML input, the line.
 */
import { BerthError } from '../domain';

/** One problem in one manifest document. */
export interface ManifestIssue {
  /** 0-based index of the document in the input (YAML documents, or items of a JSON array). */
  readonly documentIndex: number;
  /** `Kind/name` of the document when those two fields were readable, e.g. "App/pg". */
  readonly object?: string;
  /** Readable path of the offending field ('' for the document itself), e.g. "spec.volumes[0].claim.size". */
  readonly path: string;
  readonly message: string;
  /** 1-based line and column in the source text, when known. */
  readonly line?: number;
  readonly column?: number;
}

/** One line per issue, e.g. `App/pg spec.volumes[0].claim.size (line 12): expected a size like 1Gi, got -5`. */
export function formatIssue(issue: ManifestIssue): string {
  const where = issue.object ?? `document ${issue.documentIndex + 1}`;
  const field = issue.path ? ` ${issue.path}` : '';
  const line = issue.line !== undefined ? ` (line ${issue.line})` : '';
  return `${where}${field}${line}: ${issue.message}`;
}

/** The input is not a valid set of manifests. `issues` lists every problem found (never empty). */
export class ManifestError extends BerthError {
  readonly code = 'invalid-manifest';
  constructor(readonly issues: readonly ManifestIssue[]) {
    super(
      issues.length === 1
        ? `invalid manifest: ${formatIssue(issues[0]!)}`
        : `invalid manifests (${issues.length} problems):\n${issues.map((i) => `  - ${formatIssue(i)}`).join('\n')}`,
      { issues },
    );
  }
}

/**
 * A manifest names an object that does not exist (a storage class, a plugin, a secret). Kept apart
 * from ManifestError so the API can answer 422 vs 400 if it wishes; both carry issues.
 */
export class UnresolvedReferenceError extends BerthError {
  readonly code = 'unresolved-reference';
  constructor(readonly issues: readonly ManifestIssue[]) {
    super(`manifest references objects that do not exist:\n${issues.map((i) => `  - ${formatIssue(i)}`).join('\n')}`, { issues });
  }
}
