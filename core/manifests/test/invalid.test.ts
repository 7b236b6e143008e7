import { strict as assert } from 'node:assert';
import { ManifestError, parseManifests, parseManifestsSafe, validateManifests } from '..';
import { issuesOf, onlyIssue } from './helpers';

describe('manifests: invalid input is reported precisely', () => {
  it('reports a negative size with its path, the expected form and the line', () => {
    const issue = onlyIssue(`kind: App
name: pg
spec:
  image: busybox
  volumes:
    - name: data
      mountPath: /data
      claim:
        storageClass: local
        size: -5
`);
    assert.equal(issue.path, 'spec.volumes[0].claim.size');
    assert.equal(issue.message, 'expected a size like 1Gi, got -5');
    assert.equal(issue.line, 10);
    assert.equal(issue.object, 'App/pg');
  });

  it('refuses zero-sized claims and unparsable sizes', () => {
    assert.deepEqual(issuesOf('kind: App\nname: a\nspec: {image: x, volumes: [{name: d, mountPath: /d, claim: {storageClass: s, size: 0}}]}'), [
      'spec.volumes[0].claim.size: expected a size like 1Gi, got 0 (must be greater than 0)',
    ]);
    assert.deepEqual(issuesOf('kind: App\nname: a\nspec: {image: x, volumes: [{name: d, mountPath: /d, claim: {storageClass: s, size: 1Gb}}]}'), [
      'spec.volumes[0].claim.size: expected a size like 1Gi, got "1Gb"',
    ]);
    assert.deepEqual(issuesOf('kind: App\nname: a\nspec: {image: x, volumes: [{name: d, mountPath: /d, claim: {storageClass: s}}]}'), [
      'spec.volumes[0].claim.size: is required (a size like 1Gi)',
    ]);
  });

  it('reports wrong types with what was expected and what was found', () => {
    assert.deepEqual(
      issuesOf(`kind: App
name: pg
spec:
  instances: two
  image: 7
  readOnly: true
  resources: { cpu: lots, memory: [1] }
  retainOnScaleDown: "yes"
  command: sh -c true
`),
      [
        'spec.instances: expected a whole number from 0 to 10000 (the most instances an app may have), got "two"',
        'spec.image: expected a string, got 7',
        'spec.readOnly: unknown field; expected one of instances, runtime, image, command, env, resources, stop, user, fsGroup, readiness, liveness, constraints, ports, volumes, onNodeLost, retainOnScaleDown, hooks, backup',
        'spec.resources.cpu: expected a CPU amount like 0.5 or 500m, got "lots"',
        'spec.resources.memory: expected a size like 1Gi, got a list',
        'spec.retainOnScaleDown: expected true or false, got "yes"',
        'spec.command: expected a list, got "sh -c true"',
      ],
    );
  });

  it('refuses negative, fractional and too many instances, naming the bound', () => {
    const expected = 'spec.instances: expected a whole number from 0 to 10000 (the most instances an app may have)';
    assert.deepEqual(issuesOf('kind: App\nname: a\nspec: {image: x, instances: -1}'), [`${expected}, got -1`]);
    assert.deepEqual(issuesOf('kind: App\nname: a\nspec: {image: x, instances: 1.5}'), [`${expected}, got 1.5`]);
    assert.deepEqual(issuesOf('kind: App\nname: a\nspec: {image: x, instances: 1000000000}'), [`${expected}, got 1000000000`]);
    assert.deepEqual(issuesOf('kind: App\nname: a\nspec: {image: x, instances: 10000}'), []);
  });

  it('refuses mount paths that are relative, not normalised, / or under /proc, /sys, /dev', () => {
    const at = (p: string) => issuesOf(`kind: App\nname: a\nspec: {image: x, volumes: [{name: d, mountPath: "${p}", claim: {storageClass: s, size: 1Gi}}]}`);
    assert.deepEqual(at('data'), ['spec.volumes[0].mountPath: expected an absolute path like /data, got "data"']);
    assert.deepEqual(at('/'), ['spec.volumes[0].mountPath: must not be / (a volume would cover the whole filesystem of the task)']);
    assert.deepEqual(at('/data/../..'), ['spec.volumes[0].mountPath: expected a normalised path (no "..", "." or "//"), got "/data/../.."']);
    assert.deepEqual(at('/var//lib'), [
      'spec.volumes[0].mountPath: expected a normalised path (no "..", "." or "//"), got "/var//lib"; did you mean /var/lib?',
    ]);
    assert.deepEqual(at('/proc'), ['spec.volumes[0].mountPath: must not be /proc or under it (the runtime mounts /proc there), got "/proc"']);
    assert.deepEqual(at('/dev/shm/x'), [
      'spec.volumes[0].mountPath: must not be /dev or under it (the runtime mounts /dev there; a block volume may be a device path like /dev/xvdb), got "/dev/shm/x"',
    ]);
    const block = (p: string) =>
      issuesOf(`kind: App\nname: a\nspec: {image: x, volumes: [{name: d, mountPath: "${p}", claim: {storageClass: s, size: 1Gi, volumeMode: block}}]}`);
    assert.deepEqual(block('/dev/xvdb'), [], 'a block volume is a device path');
    assert.equal(block('/dev').length, 1);
    assert.equal(block('/proc/x').length, 1);
    assert.deepEqual(at('/sys'), ['spec.volumes[0].mountPath: must not be /sys or under it (the runtime mounts /sys there), got "/sys"']);
    assert.deepEqual(at('/devices'), [], 'only the directory itself and what is under it');
    assert.deepEqual(at('/var/lib/postgresql/data/'), [], 'a trailing slash is fine');
  });

  it('refuses names with "/" and other non-DNS names', () => {
    assert.deepEqual(issuesOf('kind: App\nname: team/pg\nspec: {image: x}'), ['name: "team/pg" must not contain "/"; use lowercase letters, digits and "-"']);
    assert.deepEqual(issuesOf('kind: StorageClass\nname: Fast\nspec: {plugin: berth.local}'), ['name: "Fast" must be lowercase']);
    assert.deepEqual(issuesOf('kind: App\nname: -pg\nspec: {image: x}'), ['name: "-pg" must start and end with a letter or digit']);
    assert.deepEqual(issuesOf(`kind: App\nname: ${'a'.repeat(64)}\nspec: {image: x}`), [
      `name: "${'a'.repeat(64)}" is 64 characters long; at most 63 are allowed`,
    ]);
    assert.deepEqual(issuesOf('kind: App\nname: pg\nspec: {image: x, volumes: [{name: my/data, mountPath: /d, claim: {storageClass: s, size: 1Gi}}]}'), [
      'spec.volumes[0].name: "my/data" must not contain "/"; use lowercase letters, digits and "-"',
    ]);
    assert.deepEqual(issuesOf('kind: Plugin\nname: berth/local'), [
      'name: "berth/local" is not a CSI driver name: at most 63 characters, letters, digits, ".", "-" and "_", starting and ending with a letter or digit (e.g. "berth.local")',
    ]);
  });

  it('rejects unknown fields at their own path, suggesting the likely intended field', () => {
    const issue = onlyIssue(
      'kind: App\nname: pg\nspec:\n  image: x\n  volumes:\n    - name: d\n      mountPath: /d\n      claim: {storageClass: s, sise: 1Gi, size: 1Gi}\n',
    );
    assert.equal(issue.path, 'spec.volumes[0].claim.sise');
    assert.equal(issue.message, 'unknown field (did you mean size?)');
    assert.equal(issue.line, 8);
    assert.deepEqual(issuesOf('kind: App\nname: pg\nspec: {image: x}\nmetadata: {labels: {}}\nlabels: {}'), [
      'metadata: unknown field; expected one of apiVersion, kind, name, spec',
      'labels: unknown field; expected one of apiVersion, kind, name, spec',
    ]);
  });

  it('rejects enum typos with the choices and a suggestion', () => {
    assert.deepEqual(issuesOf('kind: StorageClass\nname: s\nspec: {plugin: berth.local, reclaimPolicy: Retian}'), [
      'spec.reclaimPolicy: expected one of Delete, Retain, got "Retian" (did you mean Retain?)',
    ]);
  });

  it('rejects an unknown or missing kind', () => {
    assert.deepEqual(issuesOf('kind: Ap\nname: pg'), ['kind: unknown kind "Ap"; expected one of App, StorageClass, Plugin, Secret (did you mean App?)']);
    assert.deepEqual(issuesOf('kind: Deployment\nname: pg'), ['kind: unknown kind "Deployment"; expected one of App, StorageClass, Plugin, Secret']);
    assert.deepEqual(issuesOf('name: pg'), ['kind: is required; expected one of App, StorageClass, Plugin, Secret']);
    assert.deepEqual(issuesOf('- 1\n- kind: App'), [
      ': expected a manifest (a mapping with kind and name), got 1',
      'name: is required (expected a string)',
      'spec: is required (expected a mapping)',
    ]);
  });

  it('reports YAML syntax errors with their line, and keeps validating the other documents', () => {
    const { issues } = parseManifestsSafe('kind: App\nname: pg\nspec:\n  image: [busybox\n  instances: 2\n---\nkind: App\nname: ok/not\nspec: {image: x}\n');
    assert.equal(issues.length, 2);
    assert.match(issues[0]!.message, /^YAML syntax: /);
    assert.equal(issues[0]!.documentIndex, 0);
    assert.equal(issues[0]!.line, 5);
    assert.equal(issues[1]!.documentIndex, 1);
    assert.equal(issues[1]!.path, 'name');
    assert.equal(issues[1]!.line, 8);
  });

  it('treats a key written twice as an error rather than keeping the last one', () => {
    const issue = onlyIssue('{"kind": "App", "name": "a",\n "spec": {"image": "x", "image": "y"}}');
    assert.equal(issue.message, 'YAML syntax: Map keys must be unique');
    assert.equal(issue.line, 2);
  });

  it('refuses cross-field mistakes: docker without image, process without command, duplicate volumes', () => {
    assert.deepEqual(issuesOf('kind: App\nname: a\nspec: {}'), ['spec.image: is required when runtime is docker']);
    assert.deepEqual(issuesOf('kind: App\nname: a\nspec: {runtime: process}'), ['spec.command: is required when runtime is process']);
    assert.deepEqual(
      issuesOf(
        'kind: App\nname: a\nspec: {image: x, volumes: [{name: d, mountPath: /d, claim: {storageClass: s, size: 1Gi}}, {name: d, mountPath: /d, claim: {storageClass: s, size: 1Gi}}]}',
      ),
      ['spec.volumes[1].name: duplicate name "d"', 'spec.volumes[1].mountPath: duplicate mountPath "/d"'],
    );
  });

  it('checks constraints, data sources, backups, endpoints and paths', () => {
    assert.deepEqual(issuesOf('kind: App\nname: a\nspec: {image: x, constraints: [{key: zone, operator: In}, {key: ssd}]}'), [
      'spec.constraints[0].values: operator In needs at least one value',
      'spec.constraints[1]: expected value (equality) or operator (In, NotIn, Exists, DoesNotExist)',
    ]);
    assert.deepEqual(
      issuesOf(
        'kind: App\nname: a\nspec: {image: x, volumes: [{name: d, mountPath: data, claim: {storageClass: s, size: 1Gi, dataSource: {snapshot: s1, volume: v1}}}]}',
      ),
      [
        'spec.volumes[0].mountPath: expected an absolute path like /data, got "data"',
        'spec.volumes[0].claim.dataSource: expected exactly one of snapshot or volume',
      ],
    );
    assert.deepEqual(issuesOf('kind: App\nname: a\nspec: {image: x, backup: {schedule: "at two", keep: 0, ttl: 3 weeks}}'), [
      'spec.backup.schedule: expected a cron expression like "0 2 * * *" (minute hour day month weekday), got "at two"',
      'spec.backup.keep: expected a whole number ≥ 1, got 0',
      'spec.backup.ttl: expected a duration like 30d, 12h or 1h30m, got "3 weeks"',
    ]);
    assert.deepEqual(issuesOf('kind: App\nname: a\nspec: {image: x, backup: {schedule: "0 25 * * *", keep: 2, ttl: 0h, repository: Off_Site}}'), [
      'spec.backup.schedule: invalid cron expression "0 25 * * *": hour "25" is out of range',
      'spec.backup.ttl: expected a duration like 30d, 12h or 1h30m, got "0h"',
      'spec.backup.repository: "Off_Site" must be lowercase',
    ]);
    assert.deepEqual(issuesOf('kind: App\nname: a\nspec: {image: x, backup: {schedule: "*/3 * * * * *", keep: 2, ttl: 72h, repository: offsite}}'), []);
    assert.deepEqual(issuesOf('kind: Plugin\nname: berth.local\nspec: {controller: {endpoint: /run/csi.sock}}'), [
      'spec.controller.endpoint: expected "unix:///path/to/csi.sock" or "tcp://host:port", got "/run/csi.sock"',
    ]);
  });

  it('never echoes secret values in errors', () => {
    const { issues } = parseManifestsSafe('kind: Secret\nname: creds\ndata: {password: 12345678, token: [hunter2]}');
    const text = JSON.stringify(issues);
    assert.ok(!text.includes('12345678') && !text.includes('hunter2'), text);
    assert.deepEqual(
      issues.map((i) => `${i.path}: ${i.message}`),
      ['data.password: expected a string, got a number', 'data.token: expected a string, got a list'],
    );
  });

  it('reports the same object defined twice in one input', () => {
    assert.deepEqual(issuesOf('kind: App\nname: a\nspec: {image: x}\n---\nkind: App\nname: a\nspec: {image: y}'), [
      'name: App/a is defined twice (documents 1 and 2)',
    ]);
  });

  it('throws a ManifestError carrying every issue, and a readable message', () => {
    try {
      parseManifests('kind: App\nname: a/b\nspec: {image: x, instances: -1}');
      assert.fail('should have thrown');
    } catch (error) {
      assert.ok(error instanceof ManifestError);
      assert.equal(error.code, 'invalid_argument');
      assert.equal(error.issues.length, 2);
      assert.match(
        error.message,
        /App\/a\/b spec\.instances \(line 3\): expected a whole number from 0 to 10000 \(the most instances an app may have\), got -1/,
      );
    }
    assert.throws(() => parseManifests(''), /no manifests found/);
    assert.throws(
      () => validateManifests([{ kind: 'App', name: 'a', spec: { image: 'x', instances: 'many' } }]),
      (e: ManifestError) => {
        assert.deepEqual(e.issues, [
          {
            documentIndex: 0,
            object: 'App/a',
            path: 'spec.instances',
            message: 'expected a whole number from 0 to 10000 (the most instances an app may have), got "many"',
          },
        ]);
        return true;
      },
    );
  });
});
