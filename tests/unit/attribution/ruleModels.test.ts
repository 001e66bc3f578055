/** Every rule-based model on small paths, with the credits worked out by hand. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_TENANT_SETTINGS, TENANT_ATTRIBUTION_MODELS } from '../../../server/tenants/tenantSettings.js';
import { ATTRIBUTION_MODELS, creditTouches, DEFAULT_ATTRIBUTION_MODEL, type AttributionModel, type Touch } from '../../../server/attribution/index.js';

const DAY = 86_400_000;
const t0 = Date.UTC(2026, 0, 1);

/** `spec` like 'ads@0 direct@7 seo@14': channel@day; a channel named direct is a direct touch. */
function path(spec: string): Touch[] {
  return spec
    .split(' ')
    .filter(Boolean)
    .map((token) => {
      const [channel, day] = token.split('@') as [string, string];
      return { channel, at: new Date(t0 + Number(day) * DAY), direct: channel === 'direct' };
    });
}

function assertCredits(actual: number[], expected: number[], message: string): void {
  assert.equal(actual.length, expected.length, message);
  actual.forEach((credit, index) => assert.ok(Math.abs(credit - expected[index]!) < 1e-12, `${message}: touch ${index} got ${credit}, expected ${expected[index]}`));
  if (actual.length > 0) assert.ok(Math.abs(actual.reduce((a, b) => a + b, 0) - 1) < 1e-12, `${message}: credits sum to 1`);
}

type Case = [name: string, spec: string, expected: Partial<Record<Exclude<AttributionModel, 'markov'>, number[]>>];

const cases: Case[] = [
  [
    'one touch',
    'ads@3',
    { first: [1], last: [1], last_non_direct: [1], linear: [1], time_decay: [1], position_based: [1] },
  ],
  [
    'two touches a week apart',
    'ads@0 seo@7',
    // time decay: ages 7 and 0 days at half-life 7 -> weights 1/2 and 1 -> 1/3, 2/3.
    { first: [1, 0], last: [0, 1], last_non_direct: [0, 1], linear: [0.5, 0.5], time_decay: [1 / 3, 2 / 3], position_based: [0.5, 0.5] },
  ],
  [
    'direct in the middle',
    'ads@0 direct@7 seo@14',
    // time decay: weights 1/4, 1/2, 1 (sum 7/4) -> 1/7, 2/7, 4/7.
    {
      first: [1, 0, 0],
      last: [0, 0, 1],
      last_non_direct: [0, 0, 1],
      linear: [1 / 3, 1 / 3, 1 / 3],
      time_decay: [1 / 7, 2 / 7, 4 / 7],
      position_based: [0.4, 0.2, 0.4],
    },
  ],
  [
    'direct last: last non-direct skips it',
    'ads@0 seo@7 direct@14',
    { first: [1, 0, 0], last: [0, 0, 1], last_non_direct: [0, 1, 0], position_based: [0.4, 0.2, 0.4] },
  ],
  [
    'direct only: last non-direct credits the last direct touch',
    'direct@0 direct@1 direct@2',
    { first: [1, 0, 0], last: [0, 0, 1], last_non_direct: [0, 0, 1], linear: [1 / 3, 1 / 3, 1 / 3] },
  ],
  [
    'repeated channel: each touch is credited on its own',
    'ads@0 ads@7 seo@7 ads@14',
    // time decay: ages 14, 7, 7, 0 -> weights 1/4, 1/2, 1/2, 1 (sum 9/4).
    {
      first: [1, 0, 0, 0],
      last: [0, 0, 0, 1],
      last_non_direct: [0, 0, 0, 1],
      linear: [0.25, 0.25, 0.25, 0.25],
      time_decay: [1 / 9, 2 / 9, 2 / 9, 4 / 9],
      position_based: [0.4, 0.1, 0.1, 0.4],
    },
  ],
  [
    'five touches: position-based spreads 20% over three middle touches',
    'ads@0 seo@1 direct@2 email@3 direct@4',
    { position_based: [0.4, 0.2 / 3, 0.2 / 3, 0.2 / 3, 0.4], last_non_direct: [0, 0, 0, 1, 0] },
  ],
];

describe('rule-based models', () => {
  for (const [name, spec, expected] of cases) {
    for (const [model, credits] of Object.entries(expected) as [AttributionModel, number[]][]) {
      test(`when the path is ${name}, then ${model} gives ${credits.map((c) => c.toFixed(3)).join(' / ')}`, () => {
        assertCredits(creditTouches(path(spec), model), credits, `${name} / ${model}`);
      });
    }
  }

  test('when the path is empty, then every model gives no credits', () => {
    for (const model of ATTRIBUTION_MODELS) assert.deepEqual(creditTouches([], model, { markov: { removalEffect: new Map(), share: new Map() } }), []);
  });

  test('when touches come newest first, then credits still follow time and stay aligned with the input', () => {
    const touches = path('seo@14 direct@7 ads@0');
    assertCredits(creditTouches(touches, 'first'), [0, 0, 1], 'first');
    assertCredits(creditTouches(touches, 'last_non_direct'), [1, 0, 0], 'last non-direct');
    assertCredits(creditTouches(touches, 'time_decay'), [4 / 7, 2 / 7, 1 / 7], 'time decay');
  });

  test('when touches are simultaneous, then the given order breaks the tie', () => {
    assertCredits(creditTouches(path('ads@1 seo@1'), 'first'), [1, 0], 'first');
    assertCredits(creditTouches(path('ads@1 seo@1'), 'last'), [0, 1], 'last');
  });

  test('when time decay has a half-life and a conversion time, then ages count from the conversion', () => {
    // half-life 1 day, conversion on day 4: ages 4 and 2 days -> weights 1/16 and 1/4 -> 1/5, 4/5.
    const credits = creditTouches(path('ads@0 seo@2'), 'time_decay', { halfLifeDays: 1, conversionAt: new Date(t0 + 4 * DAY) });
    assertCredits(credits, [0.2, 0.8], 'time decay');
  });

  test('when a touch comes after the conversion time, then time decay counts it as at the conversion', () => {
    const credits = creditTouches(path('ads@0 seo@9'), 'time_decay', { conversionAt: new Date(t0 + 7 * DAY) });
    assertCredits(credits, [1 / 3, 2 / 3], 'time decay');
  });

  test('when every touch is far older than the conversion, then time decay does not underflow to 0/0', () => {
    // Ages 365 and 364 days. Half-life 0.5: weights 2^-730 and 2^-728, ratio 1:4 -> 1/5, 4/5.
    // Half-life 0.05: weights 2^-7300 and 2^-7280, both below the smallest double; ratio 2^-20.
    const credits = creditTouches(path('ads@0 seo@1'), 'time_decay', { halfLifeDays: 0.5, conversionAt: new Date(t0 + 365 * DAY) });
    assertCredits(credits, [0.2, 0.8], 'time decay');
    const far = creditTouches(path('ads@0 seo@1'), 'time_decay', { halfLifeDays: 0.05, conversionAt: new Date(t0 + 365 * DAY) });
    assertCredits(far, [2 ** -20 / (1 + 2 ** -20), 1 / (1 + 2 ** -20)], 'time decay, weights below the smallest double');
  });

  test('when a long path is credited, then every model sums to 1 within 1e-12', () => {
    const spec = Array.from({ length: 97 }, (_, i) => `${['ads', 'seo', 'direct', 'email'][i % 4]}@${(i * 37) % 90}`).join(' ');
    for (const model of ATTRIBUTION_MODELS.filter((m) => m !== 'markov')) {
      const credits = creditTouches(path(spec), model, { halfLifeDays: 3 });
      assert.ok(Math.abs(credits.reduce((a, b) => a + b, 0) - 1) < 1e-12, model);
      assert.ok(credits.every((credit) => credit >= 0), model);
    }
  });

  test('when options are wrong, then the error says which', () => {
    assert.throws(() => creditTouches(path('ads@0'), 'time_decay', { halfLifeDays: 0 }), /halfLifeDays must be a positive number/);
    assert.throws(() => creditTouches(path('ads@0'), 'markov'), /needs options.markov/);
    assert.throws(() => creditTouches([{ channel: 'ads', at: new Date('nope'), direct: false }], 'first'), /touch 0 has an invalid date/);
    assert.throws(() => creditTouches(path('ads@0'), 'nope' as AttributionModel), /unknown attribution model "nope"/);
  });

  test('the list of models and the default are as the reports and tenant settings expect', () => {
    assert.deepEqual([...ATTRIBUTION_MODELS], ['first', 'last', 'last_non_direct', 'linear', 'time_decay', 'position_based', 'markov']);
    assert.equal(DEFAULT_ATTRIBUTION_MODEL, 'last_non_direct');
    assert.deepEqual([...TENANT_ATTRIBUTION_MODELS], [...ATTRIBUTION_MODELS], 'a tenant can choose exactly the models the engine has');
    assert.equal(DEFAULT_TENANT_SETTINGS.attributionModel, DEFAULT_ATTRIBUTION_MODEL);
  });
});
