import { strict as assert } from 'node:assert';
import { parseManifests, toDocument } from '..';
import type { AppManifest } from '..';
import { issuesOf } from './helpers';

function app(ports: string): string {
  return `kind: App\nname: web\nspec: {runtime: process, command: [x], ports: ${ports}}`;
}

function specOf(text: string): AppManifest['spec'] {
  return (parseManifests(text)[0]!.manifest as AppManifest).spec;
}

describe('manifests: App ports', () => {
  it('are absent unless written, and keep only the fields given', () => {
    assert.equal('ports' in specOf('kind: App\nname: web\nspec: {runtime: process, command: [x]}'), false);
    assert.equal('ports' in specOf(app('[]')), false);
    assert.deepEqual(specOf(app('[{name: web}, {name: db, containerPort: 5432, hostPort: 15432}]')).ports, [
      { name: 'web' },
      { name: 'db', containerPort: 5432, hostPort: 15432 },
    ]);
  });

  it('round-trip through the rendered document', () => {
    const parsed = parseManifests(app('[{name: db, containerPort: 5432}]'))[0]!.manifest;
    const again = parseManifests(JSON.stringify(toDocument(parsed)))[0]!.manifest as AppManifest;
    assert.deepEqual(again.spec.ports, [{ name: 'db', containerPort: 5432 }]);
  });

  it('refuse duplicate names and host ports, bad names and ports out of range, saying what they expected', () => {
    assert.deepEqual(issuesOf(app('[{name: a}, {name: a}]')), ['spec.ports[1].name: duplicate port name "a"']);
    assert.deepEqual(issuesOf(app('[{name: a, hostPort: 80}, {name: b, hostPort: 80}]')), ['spec.ports[1].hostPort: host port 80 is listed twice']);
    assert.match(issuesOf(app('[{name: Web}]'))[0]!, /^spec\.ports\[0\]\.name: "Web" must be lowercase$/);
    assert.match(issuesOf(app('[{name: a-very-long-port-name}]'))[0]!, /^spec\.ports\[0\]\.name: .* longer than 15 characters$/);
    assert.match(
      issuesOf(app('[{name: a, hostPort: 0}]'))[0]!,
      /^spec\.ports\[0\]\.hostPort: expected a whole number from 1 to 65535 \(a TCP\/UDP port\), got 0$/,
    );
    assert.match(issuesOf(app('[{name: a, containerPort: 70000}]'))[0]!, /^spec\.ports\[0\]\.containerPort: expected a whole number from 1 to 65535/);
    assert.match(issuesOf(app('[{name: a, protocol: udp}]'))[0]!, /^spec\.ports\[0\]\.protocol: unknown field/);
    assert.match(issuesOf(app('[{hostPort: 80}]'))[0]!, /^spec\.ports\[0\]\.name: /);
  });
});
