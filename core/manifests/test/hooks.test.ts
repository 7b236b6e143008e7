import { strict as assert } from 'node:assert';
import { DEFAULT_HOOK_POLICY, hookPolicy, parseManifests, toDocument } from '..';
import type { AppManifest, Hooks } from '..';
import { issuesOf, onlyIssue } from './helpers';

const app = (hooks: string): string => `kind: App\nname: pg\nspec:\n  image: busybox:local\n  hooks: ${hooks}\n`;
const hooksOf = (hooks: string): Hooks => (parseManifests(app(hooks))[0]!.manifest as AppManifest).spec.hooks;

describe('manifests: App hooks with a timeout and a failure policy', () => {
  it('a plain command list keeps its meaning: 60 s, preSnapshot fails the recovery point, postSnapshot is recorded', () => {
    const hooks = hooksOf('{ preSnapshot: [sh, -c, sync], postSnapshot: [sh, -c, "echo done"] }');
    assert.deepEqual(hooks, { preSnapshot: ['sh', '-c', 'sync'], postSnapshot: ['sh', '-c', 'echo done'] });
    assert.deepEqual(hookPolicy(hooks, 'preSnapshot'), { timeoutSeconds: 60, onFailure: 'fail' });
    assert.deepEqual(hookPolicy(hooks, 'postSnapshot'), { timeoutSeconds: 60, onFailure: 'continue' });
    assert.deepEqual(hookPolicy(hooksOf('{}'), 'preSnapshot'), DEFAULT_HOOK_POLICY.preSnapshot);
  });

  it('the long form sets a timeout and onFailure per hook; written with the defaults, it is the same spec as the plain list', () => {
    const hooks = hooksOf(`
    preSnapshot: { command: [psql, -c, CHECKPOINT], timeout: 30s, onFailure: continue }
    postSnapshot: { command: [sh, -c, resume], timeout: 1h, onFailure: fail }`);
    assert.deepEqual(hooks, {
      preSnapshot: ['psql', '-c', 'CHECKPOINT'],
      postSnapshot: ['sh', '-c', 'resume'],
      preSnapshotPolicy: { timeoutSeconds: 30, onFailure: 'continue' },
      postSnapshotPolicy: { timeoutSeconds: 3600, onFailure: 'fail' },
    });
    assert.deepEqual(hooksOf('{ preSnapshot: { command: [sync], timeout: 1m, onFailure: fail } }'), { preSnapshot: ['sync'], postSnapshot: [] });
    assert.deepEqual(hooksOf('{ preSnapshot: { command: [sync], timeout: 5s } }'), {
      preSnapshot: ['sync'],
      postSnapshot: [],
      preSnapshotPolicy: { timeoutSeconds: 5, onFailure: 'fail' },
    });
    assert.deepEqual(hooksOf('{ postSnapshot: { command: [sync], timeout: 1s } }').postSnapshotPolicy, { timeoutSeconds: 1, onFailure: 'continue' });
  });

  it('renders a hook with its own policy in the long form and round-trips', () => {
    const text = app('{ preSnapshot: { command: [sleep, "600"], timeout: 90s, onFailure: continue }, postSnapshot: [echo, ok] }');
    const manifest = parseManifests(text)[0]!.manifest as AppManifest;
    const doc = toDocument(manifest) as { spec: { hooks: unknown } };
    assert.deepEqual(doc.spec.hooks, { preSnapshot: { command: ['sleep', '600'], timeout: '1m30s', onFailure: 'continue' }, postSnapshot: ['echo', 'ok'] });
    const again = parseManifests(JSON.stringify(doc))[0]!.manifest as AppManifest;
    assert.deepEqual(again.spec.hooks, manifest.spec.hooks);
  });

  it('refuses timeouts out of 1s…1h, unknown policies and fields, and an empty command, each with its path', () => {
    assert.deepEqual(issuesOf(app('{ preSnapshot: { command: [], timeout: 2h, onFailure: maybe, retries: 3 } }')), [
      'spec.hooks.preSnapshot.command: expected at least the program to run',
      'spec.hooks.preSnapshot.timeout: expected a duration from 1s to 1h, got "2h"',
      'spec.hooks.preSnapshot.onFailure: expected one of fail, continue, got "maybe"',
      'spec.hooks.preSnapshot.retries: unknown field; expected one of command, timeout, onFailure',
    ]);
    assert.deepEqual(issuesOf(app('{ postSnapshot: { command: [sync], timeout: 3601s } }')), [
      'spec.hooks.postSnapshot.timeout: expected a duration from 1s to 1h, got "3601s"',
    ]);
    assert.deepEqual(issuesOf(app('{ preSnapshot: { command: [sync], timeout: 30 } }')), [
      'spec.hooks.preSnapshot.timeout: expected a duration like 30s, 5m or 1h (from 1s to 1h), got 30',
    ]);
    assert.deepEqual(issuesOf(app('{ preSnapshot: { command: [sync], timeout: 0s } }')), [
      'spec.hooks.preSnapshot.timeout: expected a duration like 30s, 5m or 1h (from 1s to 1h), got "0s"',
    ]);
    assert.deepEqual(issuesOf(app('{ preSnapshot: { timeut: 30s, command: [sync] } }')), [
      'spec.hooks.preSnapshot.timeut: unknown field (did you mean timeout?)',
    ]);
    assert.deepEqual(issuesOf(app('{ preSnapshot: { timeout: 30s } }')), ['spec.hooks.preSnapshot.command: is required (expected a list)']);
    assert.deepEqual(issuesOf(app('{ preSnapshot: sync }')), [
      'spec.hooks.preSnapshot: expected a command list like ["sh", "-c", "sync"] or { command, timeout, onFailure }, got "sync"',
    ]);
    // The plain form reports as before.
    assert.deepEqual(issuesOf(app('{ preSnapshot: [sleep, 5] }')), ['spec.hooks.preSnapshot[1]: expected a string, got 5']);
    assert.deepEqual(issuesOf(app('{ pre: [sync] }')), ['spec.hooks.pre: unknown field; expected one of preSnapshot, postSnapshot']);
  });

  it('reports the line of a bad hook field', () => {
    const text = 'kind: App\nname: pg\nspec:\n  image: x\n  hooks:\n    preSnapshot:\n      command: [sync]\n      timeout: 2d\n';
    const issue = onlyIssue(text);
    assert.equal(issue.path, 'spec.hooks.preSnapshot.timeout');
    assert.equal(issue.line, 8);
  });
});
