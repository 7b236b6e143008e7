/**
 * Entry points: text (YAML or JSON) or already-parsed values (an API body) → validated, typed
 * manifests, or a ManifestError listing every problem with path, message and line.
 */
import { ManifestError } from './errors';
import type { ManifestIssue } from './errors';
import { MAX_DOCUMENTS } from './limits';
import { validateDocument } from './manifest-schema';
import { formatPath } from './paths';
import { readDocuments } from './source';
import type { SourceDocument } from './source';
import type { LocatedManifest, Manifest } from './types';

export interface ParseOutcome {
  readonly manifests: LocatedManifest[];
  /** Empty when every document is valid. */
  readonly issues: ManifestIssue[];
}

/** Parses and validates; never throws for bad input (issues are returned). */
export function parseManifestsSafe(text: string): ParseOutcome {
  const { documents, problems } = readDocuments(text);
  const issues: ManifestIssue[] = problems.map((p) => ({
    documentIndex: p.documentIndex,
    path: '',
    message: p.message,
    ...(p.position ? { line: p.position.line, column: p.position.column } : {}),
  }));
  const outcome = validateAll(documents);
  issues.push(...outcome.issues);
  if (documents.length === 0 && problems.length === 0) issues.push({ documentIndex: 0, path: '', message: 'no manifests found' });
  return { manifests: outcome.manifests, issues: sortIssues(issues) };
}

/** Parses YAML (several documents separated by `---`) or JSON (an object or an array of objects). @throws ManifestError */
export function parseManifests(text: string): LocatedManifest[] {
  const { manifests, issues } = parseManifestsSafe(text);
  if (issues.length > 0) throw new ManifestError(issues);
  return manifests;
}

/** Validates values that are already parsed (an HTTP JSON body): one manifest or an array of them. @throws ManifestError */
export function validateManifests(value: unknown): LocatedManifest[] {
  const values = Array.isArray(value) ? value : [value];
  if (values.length > MAX_DOCUMENTS) {
    throw new ManifestError([{ documentIndex: 0, path: '', message: `at most ${MAX_DOCUMENTS} documents allowed in one manifest, got ${values.length}` }]);
  }
  const documents: SourceDocument[] = values.map((v, i) => ({ documentIndex: i, value: v, locate: () => undefined }));
  const { manifests, issues } = validateAll(documents);
  if (issues.length > 0) throw new ManifestError(sortIssues(issues));
  return manifests;
}

function validateAll(documents: readonly SourceDocument[]): ParseOutcome {
  const manifests: LocatedManifest[] = [];
  const issues: ManifestIssue[] = [];
  const firstSeen = new Map<string, number>();
  for (const doc of documents) {
    const result = validateDocument(doc.value);
    const object = objectName(doc.value);
    if (!result.ok) {
      for (const raw of result.issues) {
        const position = doc.locate(raw.segments);
        issues.push({
          documentIndex: doc.documentIndex,
          ...(object ? { object } : {}),
          path: formatPath(raw.segments),
          message: raw.message,
          ...(position ? { line: position.line, column: position.column } : {}),
        });
      }
      continue;
    }
    const key = objectKey(result.manifest);
    const earlier = firstSeen.get(key);
    if (earlier !== undefined) {
      const position = doc.locate(['name']);
      issues.push({
        documentIndex: doc.documentIndex,
        object: key,
        path: 'name',
        message: `${key} is defined twice (documents ${earlier + 1} and ${doc.documentIndex + 1})`,
        ...(position ? { line: position.line, column: position.column } : {}),
      });
      continue;
    }
    firstSeen.set(key, doc.documentIndex);
    manifests.push({ manifest: result.manifest, documentIndex: doc.documentIndex });
  }
  return { manifests, issues };
}

/** "App/pg": how objects are named in messages and events. */
export function objectKey(manifest: Pick<Manifest, 'kind' | 'name'>): string {
  return `${manifest.kind}/${manifest.name}`;
}

function objectName(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { kind, name } = value as { kind?: unknown; name?: unknown };
  return typeof kind === 'string' && typeof name === 'string' ? `${kind}/${name}` : undefined;
}

function sortIssues(issues: ManifestIssue[]): ManifestIssue[] {
  return issues.sort((a, b) => a.documentIndex - b.documentIndex || (a.line ?? 0) - (b.line ?? 0));
}
