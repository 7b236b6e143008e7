import { strict as assert } from 'node:assert';
import { parseManifests, toDocument } from '..';
import type { AppManifest } from '..';
import { parseOwner, parseUserRef } from '../../domain';
import { issuesOf } from './helpers';

const VOLUME = '{name: data, mountPath: /data, claim: {storageClass: local, size: 1Gi}';

function app(fields: string, volumeExtra = ''): string {
  return `kind: App\nname: pg\nspec: {runtime: process, command: [x], ${fields} volumes: [${VOLUME}${volumeExtra}}]}`;
}

function specOf(text: string): AppManifest['spec'] {
  return (parseManifests(text)[0]!.manifest as AppManifest).spec;
}

describe('manifests: user, fsGroup and volume owner', () => {
  it('are absent unless written', () => {
    const spec = specOf(app(''));
    assert.equal('user' in spec, false);
    assert.equal('fsGroup' in spec, false);
    assert.equal('owner' in spec.volumes[0]!, false);
  });

  it('take a user name or uid[:gid], a numeric fsGroup and a numeric owner', () => {
    assert.equal(specOf(app('user: postgres,')).user, 'postgres');
    assert.equal(specOf(app('user: 999,')).user, '999');
    assert.equal(specOf(app('user: "999:998",')).user, '999:998');
    assert.equal(specOf(app('fsGroup: 2000,')).fsGroup, 2000);
    assert.equal(specOf(app('fsGroup: "0",')).fsGroup, 0);
    assert.equal(specOf(app('', ', owner: "999:999"')).volumes[0]!.owner, '999:999');
    assert.equal(specOf(app('', ', owner: 70')).volumes[0]!.owner, '70');
  });

  it('refuse malformed names and ids out of range, saying what they expected', () => {
    assert.match(issuesOf(app('user: "-rf",'))[0]!, /^spec\.user: expected a user name .* got "-rf"$/);
    assert.match(issuesOf(app('user: "a b",'))[0]!, /^spec\.user: expected a user name/);
    assert.match(issuesOf(app('user: "1:2:3",'))[0]!, /^spec\.user: expected a user name/);
    assert.match(issuesOf(app('user: 2147483648,'))[0]!, /^spec\.user: uid 2147483648 is out of range \(0 to 2147483647\)/);
    assert.match(issuesOf(app('user: "1:4294967296",'))[0]!, /^spec\.user: gid 4294967296 is out of range/);
    assert.match(issuesOf(app('user: [a],'))[0]!, /^spec\.user: expected a user name or uid\[:gid\], got a list$/);
    assert.deepEqual(issuesOf(app('fsGroup: -1,')), ['spec.fsGroup: expected a numeric gid from 0 to 2147483647, got -1']);
    assert.deepEqual(issuesOf(app('fsGroup: staff,')), ['spec.fsGroup: expected a numeric gid from 0 to 2147483647, got "staff"']);
    assert.match(
      issuesOf(app('', ', owner: postgres'))[0]!,
      /^spec\.volumes\[0\]\.owner: expected numeric uid\[:gid\] like "999:999", not a name .*, got "postgres"$/,
    );
  });

  it('refuse an owner on a block volume', () => {
    const text = `kind: App\nname: pg\nspec: {image: x, volumes: [{name: d, mountPath: /dev/xvdb, owner: "1", claim: {storageClass: local, size: 1Gi, volumeMode: block}}]}`;
    assert.match(issuesOf(text)[0]!, /owner: only applies to filesystem volumes/);
  });

  it('render back to a manifest that parses to the same spec', () => {
    const parsed = parseManifests(app('user: "999:998", fsGroup: 2000,', ', owner: "999"'))[0]!.manifest as AppManifest;
    const doc = toDocument(parsed) as { spec: unknown };
    assert.deepEqual(specOf(`kind: App\nname: pg\nspec: ${JSON.stringify(doc.spec)}`), parsed.spec);
  });

  it('parseUserRef and parseOwner tell names from ids', () => {
    assert.deepEqual(parseUserRef('postgres'), { kind: 'name', name: 'postgres' });
    assert.deepEqual(parseUserRef('0'), { kind: 'ids', uid: 0 });
    assert.deepEqual(parseUserRef('2147483647:0'), { kind: 'ids', uid: 2147483647, gid: 0 });
    assert.equal(typeof parseUserRef(''), 'string');
    assert.equal(typeof parseUserRef('a'.repeat(40)), 'string');
    assert.deepEqual(parseOwner('5:6'), { uid: 5, gid: 6 });
    assert.equal(typeof parseOwner('nobody'), 'string');
  });
});
