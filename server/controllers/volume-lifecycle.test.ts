import assert from 'node:assert/strict';
import { checkTransition, isAllowed, LIFECYCLES, type Machine, type MachineName } from './volume-lifecycle';

/** States a record can get into, starting from no record. */
function reachable<S extends string>(m: Machine<S>): Set<S> {
  const seen = new Set<S>();
  let from: (S | null)[] = [null];
  while (from.length > 0) {
    const next = m.transitions.filter((t) => from.includes(t.from) && t.to !== null && !seen.has(t.to)).map((t) => t.to as S);
    for (const s of next) seen.add(s);
    from = next;
  }
  return seen;
}

/** States with no way out but removal (or none at all). */
const ends = <S extends string>(m: Machine<S>) => m.states.filter((s) => !m.transitions.some((t) => t.from === s && t.to !== null));
const removableFrom = <S extends string>(m: Machine<S>) => m.transitions.filter((t) => t.to === null).map((t) => t.from);

describe('volume lifecycle table', () => {
  for (const name of Object.keys(LIFECYCLES) as MachineName[]) {
    const m: Machine<string> = LIFECYCLES[name];
    it(`${name}: every state written is reachable from a new record, and only from states of the type`, () => {
      const written = m.states.filter((s) => !m.unwritten.includes(s));
      assert.deepEqual([...reachable(m)].sort(), [...written].sort());
      for (const t of m.transitions) {
        for (const s of [t.from, t.to]) assert.ok(s === null || m.states.includes(s), `${name}: unknown state ${s}`);
        assert.notEqual(t.from, t.to, `${name}: ${t.from} -> ${t.to} is not a transition`);
        assert.ok(t.by && t.why, `${name}: ${t.from} -> ${t.to} says who and why`);
        assert.ok(!(t.from === null && t.to === null));
      }
      const rows = m.transitions.map((t) => `${t.from}>${t.to}>${t.by}`);
      assert.equal(new Set(rows).size, rows.length, `${name}: a row is repeated`);
    });
  }

  it('knows the terminal states', () => {
    // A task leaves `stopping` only to be removed, or started again; nothing follows `deleting` but removal,
    // and a released volume goes only through `deleting` (berth delete volume).
    assert.deepEqual(ends(LIFECYCLES.task), []);
    assert.deepEqual(removableFrom(LIFECYCLES.task), ['stopping']);
    assert.deepEqual(ends(LIFECYCLES.volume), []);
    assert.deepEqual(removableFrom(LIFECYCLES.volume), ['deleting']);
    assert.deepEqual(ends(LIFECYCLES.claim), ['releasing', 'lost']);
    assert.deepEqual(removableFrom(LIFECYCLES.claim), ['pending', 'provisioning', 'bound', 'retained', 'releasing']);
  });

  it('allows the known transitions and refuses others', () => {
    assert.ok(isAllowed('task', null, 'pending'));
    assert.ok(isAllowed('task', 'pending', 'placed'));
    assert.ok(isAllowed('task', 'placed', 'assigned'));
    assert.ok(isAllowed('task', 'failed', 'running'));
    assert.ok(isAllowed('task', 'running', 'running'), 'a write that keeps the state is no transition');
    assert.ok(!isAllowed('task', 'pending', 'running'));
    assert.ok(!isAllowed('task', 'running', null), 'a task is removed only once stopping');
    assert.ok(isAllowed('claim', 'provisioning', 'bound'));
    assert.ok(!isAllowed('claim', 'bound', 'provisioning'));
    assert.ok(isAllowed('claim', 'bound', 'retained') && isAllowed('claim', 'retained', 'bound') && isAllowed('claim', 'retained', 'releasing'));
    assert.ok(!isAllowed('claim', 'bound', 'releasing'), 'only a retained claim is let go');
    assert.ok(isAllowed('volume', 'released', 'deleting'));
    assert.ok(isAllowed('volume', 'creating', 'ready'));
    assert.ok(isAllowed('volume', 'ready', 'released'));
    assert.ok(!isAllowed('volume', 'released', 'ready'));
    assert.ok(!isAllowed('volume', 'ready', null), 'a volume is deleted only through `deleting`');
  });

  it('logs a transition the table lacks, with the object, and never throws', () => {
    const logged: { fields: object; message: string }[] = [];
    const log = {
      error: (fields: object, message: string) => {
        logged.push({ fields, message });
      },
    };
    assert.equal(checkTransition(log, 'volume', 'v1', 'creating', 'ready'), true);
    assert.equal(logged.length, 0);
    assert.equal(checkTransition(log, 'volume', 'v1', 'released', 'ready'), false);
    assert.deepEqual(logged[0].fields, { object: 'volume/v1', from: 'released', to: 'ready' });
    assert.match(logged[0].message, /v1.*released -> ready/);
  });
});
