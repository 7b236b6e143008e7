import { strict as assert } from 'node:assert';
import { parseManifests, toDocument } from '..';
import type { AppManifest } from '..';
import { issuesOf } from './helpers';

function appWith(stop: string): string {
  return `kind: App\nname: pg\nspec: {image: x, stop: ${stop}}`;
}

function specOf(text: string): AppManifest['spec'] {
  return (parseManifests(text)[0]!.manifest as AppManifest).spec;
}

describe('manifests: spec.stop', () => {
  it('is absent unless written, so older stored specs stay equal to their manifests', () => {
    assert.equal('stop' in specOf('kind: App\nname: pg\nspec: {image: x}'), false);
  });

  it('fills SIGTERM and 30 s for what is left out', () => {
    assert.deepEqual(specOf(appWith('{}')).stop, { signal: 'SIGTERM', gracePeriodSeconds: 30 });
    assert.deepEqual(specOf(appWith('{signal: SIGINT}')).stop, { signal: 'SIGINT', gracePeriodSeconds: 30 });
    assert.deepEqual(specOf(appWith('{gracePeriod: 2m}')).stop, { signal: 'SIGTERM', gracePeriodSeconds: 120 });
  });

  it('takes a grace period as a duration or whole seconds, 0 to 1h', () => {
    assert.equal(specOf(appWith('{gracePeriod: 0s}')).stop?.gracePeriodSeconds, 0);
    assert.equal(specOf(appWith('{gracePeriod: 0}')).stop?.gracePeriodSeconds, 0);
    assert.equal(specOf(appWith('{gracePeriod: 45}')).stop?.gracePeriodSeconds, 45);
    assert.equal(specOf(appWith('{gracePeriod: 1h}')).stop?.gracePeriodSeconds, 3600);
  });

  it('refuses unknown signals, out-of-range or malformed grace periods and unknown fields, saying what it expected', () => {
    assert.deepEqual(issuesOf(appWith('{signal: SIGKILL}')), [
      'spec.stop.signal: expected one of SIGTERM, SIGINT, SIGQUIT, SIGHUP, SIGUSR1, SIGUSR2, SIGWINCH, got "SIGKILL"',
    ]);
    assert.deepEqual(issuesOf(appWith('{signal: TERM}')), [
      'spec.stop.signal: expected one of SIGTERM, SIGINT, SIGQUIT, SIGHUP, SIGUSR1, SIGUSR2, SIGWINCH, got "TERM"',
    ]);
    const grace = 'spec.stop.gracePeriod: expected a duration from 0s to 1h like 30s or 2m, or a whole number of seconds';
    assert.deepEqual(issuesOf(appWith('{gracePeriod: 2h}')), [`${grace}, got "2h"`]);
    assert.deepEqual(issuesOf(appWith('{gracePeriod: -1}')), [`${grace}, got -1`]);
    assert.deepEqual(issuesOf(appWith('{gracePeriod: 1.5}')), [`${grace}, got 1.5`]);
    assert.deepEqual(issuesOf(appWith('{gracePeriod: soon}')), [`${grace}, got "soon"`]);
    assert.equal(issuesOf(appWith('{timeout: 3}')).length, 1);
    assert.match(issuesOf(appWith('{timeout: 3}'))[0]!, /^spec\.stop\.timeout: unknown field/);
  });

  it('renders back to a manifest that parses to the same spec', () => {
    for (const stop of ['{}', '{signal: SIGQUIT, gracePeriod: 0s}', '{gracePeriod: 90}']) {
      const app = parseManifests(appWith(stop))[0]!.manifest as AppManifest;
      const doc = toDocument(app) as { spec: { stop: unknown } };
      const again = specOf(`kind: App\nname: pg\nspec: ${JSON.stringify(doc.spec)}`);
      assert.deepEqual(again.stop, app.spec.stop);
    }
  });
});
