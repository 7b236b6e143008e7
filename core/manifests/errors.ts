/**
 * Errors of manifest parsing and validation.
 *
 * Validation never stops at the first problem: every issue in every document is collected, so a
 * user fixes a file in one round. Each issue names the field by a readable path
 * (`spec.volumes[0].claim.size`), says what was expected and, for YAML input, the line.
 */
import type { FieldError } from '../../lib/errors/berth-error';
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

/** Where an issue is, e.g. `App/pg spec.volumes[0].claim.size (line 12)`. */
export function issueLocation(issue: ManifestIssue): string {
  const where = issue.object ?? `document ${issue.documentIndex + 1}`;
  const field = issue.path ? ` ${issue.path}` : '';
  const line = issue.line !== undefined ? ` (line ${issue.line})` : '';
  return `${where}${field}${line}`;
}

/** One line per issue, e.g. `App/pg spec.volumes[0].claim.size (line 12): expected a size like 1Gi, got -5`. */
export function formatIssue(issue: ManifestIssue): string {
  return `${issueLocation(issue)}: ${issue.message}`;
}

/** The issues as the field errors an API answer lists (`errors: [{ path, message }]`). */
export function issueDetails(issues: readonly ManifestIssue[]): FieldError[] {
  return issues.map((i) => ({ path: issueLocation(i), message: i.message }));
}

/** The input is not a valid set of manifests. `issues` lists every problem found (never empty). */
export class ManifestError extends BerthError {
  constructor(readonly issues: readonly ManifestIssue[]) {
    super(
      'invalid_argument',
      issues.length === 1
        ? `invalid manifest: ${formatIssue(issues[0]!)}`
        : `invalid manifests (${issues.length} problems):\n${issues.map((i) => `  - ${formatIssue(i)}`).join('\n')}`,
      { details: issueDetails(issues), context: { issues } },
    );
  }
}

/**
 * A manifest names an object that does not exist (a storage class, a plugin, a secret). Kept apart
 * from ManifestError so callers can tell them apart; both carry issues and are invalid input to the API.
 */
export class UnresolvedReferenceError extends BerthError {
  constructor(readonly issues: readonly ManifestIssue[]) {
    super('invalid_argument', `manifest references objects that do not exist:\n${issues.map((i) => `  - ${formatIssue(i)}`).join('\n')}`, {
      details: issueDetails(issues),
      context: { issues },
    });
  }
}
