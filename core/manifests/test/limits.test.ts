import { strict as assert } from 'node:assert';
import {
  ManifestError,
  MAX_COMMAND_ARGS,
  MAX_CONSTRAINTS,
  MAX_DOCUMENTS,
  MAX_ENV_ENTRIES,
  MAX_MANIFEST_BYTES,
  MAX_VOLUMES_PER_APP,
  validateManifests,
} from '..';
import { issuesOf } from './helpers';

const app = (spec: object) => JSON.stringify({ kind: 'App', name: 'a', spec: { runtime: 'process', command: ['sleep', '1'], ...spec } });

describe('manifests: bounds and messages that name the problem', () => {
  it('refuses 1e9 instances naming the bound', () => {
    assert.deepEqual(issuesOf(app({ instances: 1_000_000_000 })), [
      'spec.instances: expected a whole number from 0 to 10000 (the most instances an app may have), got 1000000000',
    ]);
  });

  it('says a size is too large with the bound, not that its form is wrong', () => {
    const claim = (size: unknown) => app({ volumes: [{ name: 'd', mountPath: '/d', claim: { storageClass: 's', size } }] });
    assert.deepEqual(issuesOf(claim('1Ei')), ['spec.volumes[0].claim.size: "1Ei" is too large: at most 8Pi']);
    assert.deepEqual(issuesOf(claim(1e30)), ['spec.volumes[0].claim.size: 1e+30 is too large: at most 8Pi']);
    assert.deepEqual(issuesOf(app({ resources: { memory: '1Ei' } })), ['spec.resources.memory: "1Ei" is too large: at most 8Pi']);
    assert.match(issuesOf(app({ resources: { cpu: 1e30 } }))[0]!, /^spec\.resources\.cpu: 1e\+30 is too large: at most \d+m$/);
  });

  it('says what an environment variable name must look like', () => {
    const rule = 'is not an environment variable name: letters, digits and "_", not starting with a digit (e.g. DATABASE_URL)';
    assert.deepEqual(issuesOf(app({ env: { '1BAD': 'x' } })), [`spec.env["1BAD"]: "1BAD" ${rule}`]);
    assert.deepEqual(issuesOf(app({ env: { 'A=B': 'x' } })), [`spec.env["A=B"]: "A=B" ${rule}`]);
    assert.deepEqual(
      issuesOf(app({ env: { ['A'.repeat(300)]: 'x' } })).map((i) => i.split(': ').slice(1).join(': ')),
      ['an environment variable name is at most 256 characters, got 300'],
    );
  });

  it('bounds lists and mappings of an app, naming the field and the bound', () => {
    const volumes = Array.from({ length: MAX_VOLUMES_PER_APP + 1 }, (_, i) => ({
      name: `v${i}`,
      mountPath: `/v${i}`,
      claim: { storageClass: 's', size: '1Gi' },
    }));
    assert.deepEqual(issuesOf(app({ volumes })), [`spec.volumes: at most ${MAX_VOLUMES_PER_APP} volumes per app allowed, got ${MAX_VOLUMES_PER_APP + 1}`]);
    const env = Object.fromEntries(Array.from({ length: MAX_ENV_ENTRIES + 1 }, (_, i) => [`V${i}`, 'x']));
    assert.deepEqual(issuesOf(app({ env })), [`spec.env: at most ${MAX_ENV_ENTRIES} environment variables allowed, got ${MAX_ENV_ENTRIES + 1}`]);
    const command = Array.from({ length: MAX_COMMAND_ARGS + 1 }, () => 'x');
    assert.deepEqual(issuesOf(app({ command })), [`spec.command: at most ${MAX_COMMAND_ARGS} arguments allowed, got ${MAX_COMMAND_ARGS + 1}`]);
    assert.deepEqual(issuesOf(app({ command: ['echo', 'x'.repeat(200_000)] })), ['spec.command[1]: at most 131072 characters allowed, got 200000']);
    const constraints = Array.from({ length: MAX_CONSTRAINTS + 1 }, () => ({ key: 'k', value: 'v' }));
    assert.deepEqual(issuesOf(app({ constraints })), [`spec.constraints: at most ${MAX_CONSTRAINTS} constraints allowed, got ${MAX_CONSTRAINTS + 1}`]);
    assert.deepEqual(issuesOf(app({ hooks: { preSnapshot: Array.from({ length: MAX_COMMAND_ARGS + 1 }, () => 'x') } })), [
      `spec.hooks.preSnapshot: at most ${MAX_COMMAND_ARGS} arguments allowed, got ${MAX_COMMAND_ARGS + 1}`,
    ]);
  });

  it('names too long names with the bound', () => {
    assert.deepEqual(issuesOf(JSON.stringify({ kind: 'App', name: 'a'.repeat(64), spec: { image: 'x' } })), [
      `name: "${'a'.repeat(64)}" is 64 characters long; at most 63 are allowed`,
    ]);
  });

  it('refuses manifests over the size and document bounds before parsing them', () => {
    const big = `# ${'x'.repeat(MAX_MANIFEST_BYTES)}\n${app({})}`;
    assert.deepEqual(issuesOf(big), [`: manifest larger than 2 MB (${MAX_MANIFEST_BYTES + 3 + app({}).length} bytes; at most ${MAX_MANIFEST_BYTES})`]);
    const many = Array.from({ length: MAX_DOCUMENTS + 1 }, () => 'kind: Secret\nname: s\ndata: {}').join('\n---\n');
    assert.deepEqual(issuesOf(many), [`: at most ${MAX_DOCUMENTS} documents allowed in one manifest, got ${MAX_DOCUMENTS + 1}`]);
    const array = JSON.stringify(Array.from({ length: MAX_DOCUMENTS + 1 }, (_, i) => ({ kind: 'Secret', name: `s${i}`, data: {} })));
    assert.deepEqual(issuesOf(array), [`: at most ${MAX_DOCUMENTS} documents allowed in one manifest, got ${MAX_DOCUMENTS + 1}`]);
    assert.throws(
      () => validateManifests(Array.from({ length: MAX_DOCUMENTS + 1 }, () => ({}))),
      (e: unknown) => e instanceof ManifestError && /at most 1000 documents/.test(e.message),
    );
  });
});
