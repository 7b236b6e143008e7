/**
 * Reads manifest text — multi-document YAML, a JSON object or a JSON array (JSON is YAML 1.2, so
 * one parser serves both) — into documents that remember where each field sits in the text.
 * Duplicate keys are syntax errors here: a field written twice is as suspicious as a typo.
 */
import { LineCounter, isNode, parseAllDocuments, isSeq } from 'yaml';
import type { Document } from 'yaml';
import { MAX_DOCUMENTS, MAX_MANIFEST_BYTES, MAX_MANIFEST_MB } from './limits';
import type { PathSegment } from './paths';

export interface SourcePosition {
  readonly line: number;
  readonly column: number;
}

export interface SourceDocument {
  readonly documentIndex: number;
  readonly value: unknown;
  /** Line and column of the field at `segments`, or of its nearest ancestor present in the text. */
  locate(segments: readonly PathSegment[]): SourcePosition | undefined;
}

export interface SyntaxProblem {
  readonly documentIndex: number;
  readonly message: string;
  readonly position?: SourcePosition;
}

export interface ReadResult {
  readonly documents: SourceDocument[];
  readonly problems: SyntaxProblem[];
}

/** Aliases may not expand beyond this many nodes ("billion laughs" protection). */
const MAX_ALIAS_COUNT = 100;

/** The refusal of a manifest over MAX_MANIFEST_BYTES, the same from the CLI (before sending) and the server. */
export function manifestTooLarge(bytes: number): string | undefined {
  return bytes > MAX_MANIFEST_BYTES ? `manifest larger than ${MAX_MANIFEST_MB} MB (${bytes} bytes; at most ${MAX_MANIFEST_BYTES})` : undefined;
}

function tooManyDocuments(count: number): ReadResult {
  return { documents: [], problems: [{ documentIndex: 0, message: `at most ${MAX_DOCUMENTS} documents allowed in one manifest, got ${count}` }] };
}

export function readDocuments(text: string): ReadResult {
  // Checked before parsing: the cost of what follows grows with the text.
  const tooLarge = manifestTooLarge(Buffer.byteLength(text, 'utf8'));
  if (tooLarge) return { documents: [], problems: [{ documentIndex: 0, message: tooLarge }] };
  const lineCounter = new LineCounter();
  const parsed = parseAllDocuments(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (parsed.length > MAX_DOCUMENTS) return tooManyDocuments(parsed.length);
  const items = parsed.reduce((n, doc) => n + (isSeq(doc.contents) ? doc.contents.items.length : 1), 0);
  if (items > MAX_DOCUMENTS) return tooManyDocuments(items);
  const documents: SourceDocument[] = [];
  const problems: SyntaxProblem[] = [];
  const position = (offset: number | undefined): SourcePosition | undefined => {
    if (offset === undefined) return undefined;
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  let documentIndex = 0;
  for (const doc of parsed) {
    if (doc.errors.length > 0) {
      for (const error of doc.errors) problems.push({ documentIndex, message: `YAML syntax: ${error.message}`, position: position(error.pos[0]) });
      documentIndex++;
      continue;
    }
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (error) {
      problems.push({ documentIndex, message: `YAML: ${(error as Error).message}`, position: position(doc.range[0]) });
      documentIndex++;
      continue;
    }
    if (value === null || value === undefined) continue; // an empty document, e.g. after a trailing "---"
    if (Array.isArray(value) && isSeq(doc.contents)) {
      // A JSON array (or YAML list) of manifests: each item counts as its own document.
      for (const [i, item] of value.entries()) documents.push(located(documentIndex++, item, doc, [i], position));
    } else {
      documents.push(located(documentIndex++, value, doc, [], position));
    }
  }
  return { documents, problems };
}

function located(
  documentIndex: number,
  value: unknown,
  doc: Document,
  base: readonly PathSegment[],
  position: (offset: number | undefined) => SourcePosition | undefined,
): SourceDocument {
  return {
    documentIndex,
    value,
    locate(segments) {
      // Missing fields are not in the text: point at the closest enclosing field instead.
      for (let n = segments.length; n >= 0; n--) {
        const node = doc.getIn([...base, ...segments.slice(0, n)], true);
        if (isNode(node) && node.range) return position(node.range[0]);
      }
      return undefined;
    },
  };
}
