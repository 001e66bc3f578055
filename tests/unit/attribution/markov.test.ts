/** The Markov model on chains small enough to solve by hand, and against an independent solver. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { creditTouches, markovRemovalEffects, type ChannelPath, type Touch } from '../../../server/attribution/index.js';
import { removalEffectsByDefinition } from '../../support/markovOracle.js';

function paths(...rows: [spec: string, conversions: number, nulls: number][]): ChannelPath[] {
  return rows.map(([spec, conversions, nulls]) => ({ channels: spec.split(' > '), conversions, nulls, value: conversions * 10 }));
}

function close(actual: number | undefined, expected: number, message: string, tolerance = 1e-12): void {
  assert.ok(actual !== undefined && Math.abs(actual - expected) <= tolerance, `${message}: got ${actual}, expected ${expected}`);
}

function touches(...channels: string[]): Touch[] {
  return channels.map((channel, index) => ({ channel, at: new Date(Date.UTC(2026, 0, 1 + index)), direct: channel === 'direct' }));
}

/**
 * Hand-solved example. Paths: "a > b" converts once; "b > a" ends in null once; "a" converts once
 * and ends in null once. Transition counts (each path counts conversions + nulls journeys):
 *   start -> a: 1 + 2 = 3, start -> b: 1            => P(start->a) = 3/4, P(start->b) = 1/4
 *   a -> b: 1, a -> conv: 1, a -> null: 1 + 1 = 2   => 1/4, 1/4, 1/2
 *   b -> conv: 1, b -> a: 1                         => 1/2, 1/2
 * Absorption into conversion: h_a = 1/4 + h_b/4, h_b = 1/2 + h_a/2  =>  h_a = 3/7, h_b = 5/7;
 *   P(conv) = 3/4 * 3/7 + 1/4 * 5/7 = 1/2.
 * Remove a (into a goes to null): h_b = 1/2, P = 1/4 * 1/2 = 1/8  => RE(a) = 1 - (1/8)/(1/2) = 3/4.
 * Remove b: h_a = 1/4, P = 3/4 * 1/4 = 3/16                       => RE(b) = 1 - (3/16)/(1/2) = 5/8.
 * Shares: a = (3/4) / (3/4 + 5/8) = 6/11, b = 5/11.
 */
const handSolved = paths(['a > b', 1, 0], ['b > a', 0, 1], ['a', 1, 1]);

describe('markovRemovalEffects', () => {
  test('when the chain is the hand-solved one, then the removal effects are 3/4 and 5/8, shares 6/11 and 5/11', () => {
    const markov = markovRemovalEffects(handSolved);
    close(markov.removalEffect.get('a'), 3 / 4, 'RE(a)');
    close(markov.removalEffect.get('b'), 5 / 8, 'RE(b)');
    close(markov.share.get('a'), 6 / 11, 'share(a)');
    close(markov.share.get('b'), 5 / 11, 'share(b)');
  });

  test('when a channel repeats back to back, then nothing changes (a self-loop never changes absorption)', () => {
    const repeated = paths(['a > a > b', 1, 0], ['b > a > a > a', 0, 1], ['a > a', 1, 1]);
    const markov = markovRemovalEffects(repeated);
    close(markov.removalEffect.get('a'), 3 / 4, 'RE(a)');
    close(markov.removalEffect.get('b'), 5 / 8, 'RE(b)');
  });

  test('when every conversion passes through one channel, then its removal effect is 1', () => {
    // start -> a (3/4) or b (1/4); a -> b 2/3, a -> null 1/3; b -> conv 2/3, b -> null 1/3.
    // P(conv) = 3/4 * 2/3 * 2/3 + 1/4 * 2/3 = 1/2; without a: 1/6 -> RE(a) = 2/3; without b: 0 -> RE(b) = 1.
    const markov = markovRemovalEffects(paths(['a > b', 1, 1], ['a', 0, 1], ['b', 1, 0]));
    close(markov.removalEffect.get('a'), 2 / 3, 'RE(a)');
    close(markov.removalEffect.get('b'), 1, 'RE(b)');
    close(markov.share.get('a'), 0.4, 'share(a)');
  });

  test('when nothing converts, then every removal effect and share is 0; channels of empty rows are listed with 0', () => {
    const markov = markovRemovalEffects(paths(['a > b', 0, 3], ['c', 0, 0]));
    assert.deepEqual([...markov.removalEffect], [['a', 0], ['b', 0], ['c', 0]]);
    assert.deepEqual([...markov.share], [['a', 0], ['b', 0], ['c', 0]]);
    assert.deepEqual([...markovRemovalEffects([]).removalEffect], []);
  });

  test('when a count is negative or not a number, then it says which path', () => {
    assert.throws(() => markovRemovalEffects(paths(['a', 1, 0], ['b', -1, 0])), /path 1: conversions must be a non-negative finite number/);
    assert.throws(() => markovRemovalEffects(paths(['a', 1, Number.NaN])), /path 0: nulls/);
  });

  test('when chains are random, then removal effects equal those of solving each removed chain by value iteration', () => {
    let seed = 12345;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let round = 0; round < 20; round += 1) {
      const channelCount = 2 + Math.floor(random() * 8);
      const rows: ChannelPath[] = Array.from({ length: 30 }, () => ({
        channels: Array.from({ length: 1 + Math.floor(random() * 6) }, () => `c${Math.floor(random() * channelCount)}`),
        conversions: Math.floor(random() * 4),
        nulls: Math.floor(random() * 6),
        value: 0,
      }));
      const markov = markovRemovalEffects(rows);
      const expected = removalEffectsByDefinition(rows);
      for (const [channel, effect] of markov.removalEffect) close(effect, expected.get(channel) ?? 0, `round ${round}, RE(${channel})`, 1e-10);
    }
  });
});

describe('Markov credit per touch', () => {
  const markov = markovRemovalEffects(handSolved);

  test('when a channel has two touches on the path, then its share is split between them', () => {
    // a: 6/11 over two touches = 3/11 each; b: 5/11.
    const credits = creditTouches(touches('a', 'b', 'a'), 'markov', { markov });
    [3 / 11, 5 / 11, 3 / 11].forEach((expected, index) => close(credits[index], expected, `touch ${index}`));
  });

  test('when paths are random, then Markov credits are non-negative and sum to 1 within 1e-12', () => {
    const rows: ChannelPath[] = Array.from({ length: 200 }, (_, i) => ({
      channels: Array.from({ length: 1 + (i % 9) }, (_, j) => `c${(i * 7 + j * j) % 11}`),
      conversions: i % 3 === 0 ? 1 : 0,
      nulls: i % 3 === 0 ? 0 : 1,
      value: 0,
    }));
    const randomMarkov = markovRemovalEffects(rows);
    for (const row of rows) {
      const credits = creditTouches(touches(...row.channels), 'markov', { markov: randomMarkov });
      assert.ok(credits.every((credit) => credit >= 0));
      assert.ok(Math.abs(credits.reduce((a, b) => a + b, 0) - 1) < 1e-12, row.channels.join(' > '));
    }
  });

  test('when only one channel is on the path, then it gets everything', () => {
    assert.deepEqual(creditTouches(touches('b'), 'markov', { markov }), [1]);
  });

  test('when no channel on the path has a removal effect, then credit is linear', () => {
    assert.deepEqual(creditTouches(touches('x', 'y'), 'markov', { markov }), [0.5, 0.5]);
  });

  test('when an unknown channel shares the path with known ones, then it gets 0 and the rest sum to 1', () => {
    const credits = creditTouches(touches('x', 'a', 'b'), 'markov', { markov });
    close(credits[0], 0, 'x');
    close(credits[1], 6 / 11, 'a');
    close(credits[2], 5 / 11, 'b');
  });
});
