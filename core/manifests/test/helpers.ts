import { strict as assert } from 'node:assert';
import { parseManifestsSafe } from '..';
import type { ManifestIssue } from '..';

/** The issues of `text` as "path: message" strings, for exact comparisons. */
export function issuesOf(text: string): string[] {
  return parseManifestsSafe(text).issues.map((i) => `${i.path}: ${i.message}`);
}

export function onlyIssue(text: string): ManifestIssue {
  const { issues } = parseManifestsSafe(text);
  assert.equal(issues.length, 1, `expected one issue, got ${JSON.stringify(issues, null, 1)}`);
  return issues[0]!;
}

/** A valid App with one volume; `override` replaces lines by their key. */
export const GOOD_APP = `kind: App
name: pg
spec:
  image: busybox:local
  volumes:
    - name: data
      mountPath: /data
      claim: { storageClass: local-btrfs, size: 1Gi }
`;
