import { strict as assert } from 'node:assert';
import { parseManifests, toDocument } from '..';
import type { AppManifest } from '..';
import { issuesOf } from './helpers';

const app = (fields: string): string => `kind: App\nname: web\nspec:\n  image: busybox:local\n${fields}`;
const specOf = (text: string): AppManifest['spec'] => (parseManifests(text)[0]!.manifest as AppManifest).spec;

describe('manifests: readiness and liveness checks', () => {
  it('are absent unless written, so older stored specs stay equal to their manifests', () => {
    const spec = specOf(app(''));
    assert.equal('readiness' in spec, false);
    assert.equal('liveness' in spec, false);
  });

  it('fill the Kubernetes defaults: every 10 s, 1 s timeout, 3 failures, 1 success, no delay; http path /', () => {
    const spec = specOf(app('  readiness: { http: { port: 8080 } }\n  liveness: { exec: [pg_isready, -q] }\n'));
    assert.deepEqual(spec.readiness, {
      probe: { kind: 'http', port: 8080, path: '/' },
      intervalSeconds: 10,
      timeoutSeconds: 1,
      failureThreshold: 3,
      successThreshold: 1,
      initialDelaySeconds: 0,
    });
    assert.deepEqual(spec.liveness?.probe, { kind: 'exec', command: ['pg_isready', '-q'] });
  });

  it('take durations as text or whole seconds', () => {
    const spec = specOf(app('  readiness: { tcp: { port: 5432 }, interval: 1m, timeout: 5, failureThreshold: 5, successThreshold: 2, initialDelay: 0s }\n'));
    assert.deepEqual(spec.readiness, {
      probe: { kind: 'tcp', port: 5432 },
      intervalSeconds: 60,
      timeoutSeconds: 5,
      failureThreshold: 5,
      successThreshold: 2,
      initialDelaySeconds: 0,
    });
  });

  it('refuse what cannot be run, saying what was expected', () => {
    assert.deepEqual(issuesOf(app('  readiness: { interval: 5s }\n')), [
      'spec.readiness: expected exactly one probe: exec (a command), http ({ port, path }) or tcp ({ port }); got none',
    ]);
    assert.deepEqual(issuesOf(app('  readiness: { exec: [ok], tcp: { port: 1 } }\n')), [
      'spec.readiness: expected exactly one probe: exec (a command), http ({ port, path }) or tcp ({ port }); got exec and tcp',
    ]);
    assert.deepEqual(issuesOf(app('  liveness: { tcp: { port: 70000 } }\n')), [
      'spec.liveness.tcp.port: expected a whole number from 1 to 65535 (a TCP port), got 70000',
    ]);
    assert.deepEqual(issuesOf(app('  liveness: { http: { port: 80, path: healthz } }\n')), [
      'spec.liveness.http.path: expected a path like /healthz, got "healthz"',
    ]);
    assert.deepEqual(issuesOf(app('  liveness: { exec: [] }\n')), ['spec.liveness.exec: expected at least the program to run']);
    assert.deepEqual(issuesOf(app('  readiness: { exec: [ok], interval: 500ms }\n')), [
      'spec.readiness.interval: expected a duration from 1s to 1h like 10s or 1m, or a whole number of seconds, got "500ms"',
    ]);
    assert.deepEqual(issuesOf(app('  readiness: { exec: [ok], interval: 2s, timeout: 5s }\n')), [
      'spec.readiness.timeout: must not be longer than the interval (2 s): probes of one task never overlap',
    ]);
    assert.deepEqual(issuesOf(app('  readiness: { exec: [ok], failureThreshold: 0 }\n')), [
      'spec.readiness.failureThreshold: expected a whole number from 1 to 100 (consecutive results), got 0',
    ]);
    assert.deepEqual(issuesOf(app('  liveness: { exec: [ok], successThreshold: 2 }\n')), [
      'spec.liveness.successThreshold: must be 1 for liveness: one success shows the task is alive',
    ]);
    assert.match(issuesOf(app('  liveness: { exec: [ok], intervall: 5s }\n'))[0]!, /^spec\.liveness\.intervall: unknown field/);
  });

  it('render back to a manifest that parses to the same spec', () => {
    const text = app(
      '  readiness: { http: { port: 8080, path: /ready }, interval: 2s, successThreshold: 2 }\n  liveness: { exec: [sh, -c, "true"], initialDelay: 30s }\n',
    );
    const parsed = parseManifests(text)[0]!.manifest as AppManifest;
    const doc = toDocument(parsed) as { spec: unknown };
    const again = specOf(`kind: App\nname: web\nspec: ${JSON.stringify(doc.spec)}`);
    assert.deepEqual(again, parsed.spec);
  });
});
