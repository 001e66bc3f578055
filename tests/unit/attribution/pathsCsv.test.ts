/** The `attribution` command's input and output formats, and ChannelAttribution's rules on a hand example. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'csv-parse/sync';
import { attributeChannelPaths } from '../../../server/attribution/channelTotals.js';
import { CHANNELS_HEADER, channelTotalsMeasures, formatChannelTotalsCsv, parsePathsCsv } from '../../../server/attribution/pathsCsv.js';

const HEADER = 'path;total_conversions;total_conversion_value;total_null';

describe('parsePathsCsv', () => {
  test('when rows are valid, then paths are split on ">" with spaces trimmed and empty channels skipped', () => {
    assert.deepEqual(parsePathsCsv(`${HEADER}\neta > iota >  alpha;1;0.244;3\n beta>>eta ;0;0;2\n`), [
      { channels: ['eta', 'iota', 'alpha'], conversions: 1, value: 0.244, nulls: 3 },
      { channels: ['beta', 'eta'], conversions: 0, value: 0, nulls: 2 },
    ]);
  });

  test('when a field is quoted, then the quotes are CSV quoting (a ";" or a quote inside a channel name survives)', () => {
    assert.deepEqual(parsePathsCsv(`\uFEFF${HEADER}\r\n"Ads; brand > ""Yandex"" > seo";"2";"1e3";0\r\n`), [
      { channels: ['Ads; brand', '"Yandex"', 'seo'], conversions: 2, value: 1000, nulls: 0 },
    ]);
  });

  const errors: [name: string, input: string, message: RegExp][] = [
    ['the input is empty', '', /the input is empty; expected the header path;total_conversions;total_conversion_value;total_null/],
    ['the header is a comma-separated one', 'path,total_conversions,total_conversion_value,total_null\n', /line 1: the header must be path;total_conversions;total_conversion_value;total_null/],
    ['a header column is missing', 'path;total_conversions;total_null\n', /line 1: the header must be/],
    ['a number is a word', `${HEADER}\na;1;2;0\nb;one;2;0\n`, /line 3: total_conversions is not a number: "one"/],
    ['a number has a decimal comma', `${HEADER}\na;1;2,5;0\n`, /line 2: total_conversion_value is not a number: "2,5" \(use a dot as the decimal separator\)/],
    ['a number is empty', `${HEADER}\na;1;;0\n`, /line 2: total_conversion_value is not a number: ""/],
    ['a number is hexadecimal', `${HEADER}\na;0x10;1;0\n`, /line 2: total_conversions is not a number/],
    ['a count is negative', `${HEADER}\na;1;1;-2\n`, /line 2: total_null must not be negative/],
    ['a row has too few fields', `${HEADER}\na;1;1\n`, /line 2: expected 4 fields separated by ';', got 3/],
    ['a path has no channels', `${HEADER}\n > ;1;1;0\n`, /line 2: the path has no channels/],
    ['a quote is not closed', `${HEADER}\n"a;1;1;0\n`, /not valid CSV: .*quote/i],
  ];
  for (const [name, input, message] of errors) {
    test(`when ${name}, then the error says so`, () => {
      assert.throws(() => parsePathsCsv(input), message);
    });
  }
});

describe('attributeChannelPaths', () => {
  /**
   * Rows: "a > b > a" 2 conversions worth 10, 1 null; "b" 1 worth 5; "c > b" 4 nulls.
   * ChannelAttribution: first and last of row 1 are a; linear gives a 2/3 and b 1/3 of row 1.
   * Markov chain: start -> a 3/8, b 1/8, c 4/8; a -> b 1/2, conv 1/3, null 1/6;
   * b -> a 3/8, conv 1/8, null 1/2; c -> b 1.
   *   h_a = 1/3 + h_b/2, h_b = 1/8 + 3h_a/8 => h_a = 19/39, h_b = h_c = 4/13; P(conv) = 3/8.
   *   without a: h_b = h_c = 1/8, P = 5/64   => RE(a) = 1 - (5/64)/(3/8) = 19/24
   *   without b: h_a = 1/3, h_c = 0, P = 1/8 => RE(b) = 2/3
   *   without c: P = 3/8 * 19/39 + 1/8 * 4/13 = 23/104 => RE(c) = 16/39
   * Per path: row 1 gives a 19/24 / (19/24 + 2/3) = 19/35 and b 16/35; row 2 gives b all.
   */
  const rows = parsePathsCsv(`${HEADER}\na > b > a;2;10;1\nb;1;5;0\nc > b;0;0;4\n`);

  test('when rows repeat a channel, then first, last and linear follow ChannelAttribution and Markov the per-path credit', () => {
    const { channels, markov } = attributeChannelPaths(rows);
    assert.deepEqual(channels.map((c) => c.channel), ['a', 'b', 'c']);
    const expected = {
      a: [2, 10, 2, 10, 4 / 3, 20 / 3, 38 / 35, 38 / 7],
      b: [1, 5, 1, 5, 5 / 3, 25 / 3, 67 / 35, 67 / 7],
      c: [0, 0, 0, 0, 0, 0, 0, 0],
    };
    for (const totals of channels) {
      const actual = channelTotalsMeasures(totals);
      expected[totals.channel as keyof typeof expected].forEach((value, index) =>
        assert.ok(Math.abs(actual[index]! - value) < 1e-12, `${totals.channel} column ${CHANNELS_HEADER[index + 1]}: ${actual[index]} vs ${value}`),
      );
    }
    assert.ok(Math.abs(markov.removalEffect.get('a')! - 19 / 24) < 1e-12);
    assert.ok(Math.abs(markov.removalEffect.get('b')! - 2 / 3) < 1e-12);
    assert.ok(Math.abs(markov.removalEffect.get('c')! - 16 / 39) < 1e-12);
  });

  test('when totals are printed, then the CSV has the documented header and quotes what needs quoting', () => {
    const { channels } = attributeChannelPaths([{ channels: ['Ads, brand'], conversions: 1, value: 2.5, nulls: 0 }]);
    const text = formatChannelTotalsCsv(channels);
    assert.equal(text.split('\n')[0], CHANNELS_HEADER.join(','));
    assert.deepEqual(parse(text), [[...CHANNELS_HEADER], ['Ads, brand', '1', '2.5', '1', '2.5', '1', '2.5', '1', '2.5']]);
  });
});
