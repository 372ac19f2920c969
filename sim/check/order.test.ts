import { describe, expect, it } from 'vitest';
import { check } from './checker.ts';
import type { ProducerDescription } from './history.ts';
import { HistoryBuilder, foundKinds } from './test-histories.ts';

const idempotent: ProducerDescription = { acks: 'all', idempotence: true, maxInFlight: 5, retries: 2147483647, transactional: false };
const plain: ProducerDescription = { acks: 'all', idempotence: false, maxInFlight: 5, retries: 2147483647, transactional: false };

/** Two overlapping sends of producer-1, s0 invoked first, that landed the other way round. */
function overtaken(producer: ProducerDescription | undefined) {
  const b = new HistoryBuilder(producer === undefined ? {} : { producer });
  const s0 = b.invoke('producer-1', 'send', [['send', 'payments/0', 'p1-e0-s0']]); // op 0
  const s1 = b.invoke('producer-1', 'send', [['send', 'payments/0', 'p1-e0-s1']]); // op 1
  b.complete(s1, 'ok', [['send', 'payments/0', [0, 'p1-e0-s1']]]); // op 2
  b.complete(s0, 'ok', [['send', 'payments/0', [1, 'p1-e0-s0']]]); // op 3
  return b.log('payments/0', [[0, 'p1-e0-s1'], [1, 'p1-e0-s0']]).build();
}

describe('order-violation', () => {
  it('reports sends that landed out of send order when idempotence promises order', () => {
    const r = check(overtaken(idempotent));
    expect(foundKinds(r)).toEqual(['order-violation']);
    expect(r.anomalies[0].witness).toMatchObject({
      values: ['p1-e0-s0', 'p1-e0-s1'], key: 'payments/0', offsets: [1, 0], process: 'producer-1', opIndexes: [0, 1, 2, 3],
    });
  });

  it('reports them when one request in flight promises order', () => {
    expect(foundKinds(check(overtaken({ ...plain, maxInFlight: 1 })))).toEqual(['order-violation']);
  });

  it('does not check order when the producer settings do not promise it', () => {
    expect(check(overtaken(plain)).verdict).toBe('pass');
  });

  it('checks order, as Jepsen does (nonmonotonic-send), when the header says nothing about the producer', () => {
    expect(foundKinds(check(overtaken(undefined)))).toEqual(['order-violation']);
  });

  it("reports Jepsen's nonmonotonic-send: a later batch acknowledged below an earlier one, without final logs", () => {
    const h = new HistoryBuilder()
      .send('producer-1', 'ok', ['x/0', 'c', 3], ['x/0', 'd', 4])
      .send('producer-1', 'ok', ['x/0', 'a', 1], ['x/0', 'b', 2])
      .build();
    expect(foundKinds(check(h))).toEqual(['order-violation']);
    expect(check({ ...h, header: { ...h.header, producer: plain } }).verdict).toBe('pass');
  });

  it('places a value by its first offset, so a duplicated batch is a duplicate and not a reordering', () => {
    const h = new HistoryBuilder({ producer: idempotent })
      .send('producer-1', 'ok', ['payments/0', 'p1-e0-s0', 2])
      .send('producer-1', 'ok', ['payments/0', 'p1-e0-s1', 1])
      .log('payments/0', [[0, 'p1-e0-s0'], [1, 'p1-e0-s1'], [2, 'p1-e0-s0']])
      .build();
    expect(foundKinds(check(h))).toEqual(['duplicate']);
  });

  it('promises order only within one producer session: a crash starts a new one', () => {
    const h = new HistoryBuilder({ producer: { ...plain, acks: '0', maxInFlight: 1 } })
      .send('producer-1', 'ok', ['payments/0', 'p1-e0-s0'])
      .crash('producer-1')
      .send('producer-1', 'ok', ['payments/0', 'p1-e1-s0'])
      .log('payments/0', [[0, 'p1-e1-s0'], [1, 'p1-e0-s0']])
      .build();
    expect(check(h).verdict).toBe('pass');
  });
});
