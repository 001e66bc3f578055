/**
 * `longfunnel attribution --input paths.csv` as an analyst runs it: on every public path data set in
 * ../shared/data/attribution/, totals are conserved by every model, first/last/linear equal a
 * straightforward recomputation of ChannelAttribution's rules, and Markov equals the per-path credit
 * from removal effects solved by the definition (value iteration, tests/support/markovOracle.ts).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import type { ChannelPath } from '../../../server/attribution/index.js';
import { removalEffectsByDefinition } from '../../support/markovOracle.js';
import { cliPath } from '../../support/processes.js';
import { repoRoot, sharedDir } from '../../support/repoRoot.js';

const dataDir = path.join(sharedDir, 'data', 'attribution');
const OUTPUT_HEADER =
  'channel_name,first_touch_conversions,first_touch_value,last_touch_conversions,last_touch_value,linear_touch_conversions,linear_touch_value,markov_conversions,markov_value';
const MODELS = ['first_touch', 'last_touch', 'linear_touch', 'markov'] as const;

function runAttribution(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [cliPath, 'attribution', ...args], { cwd: repoRoot, env: { PATH: process.env.PATH ?? '' }, maxBuffer: 64 << 20 }, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
    });
  });
}

/** The input rows, read without the engine's parser. */
function readRows(file: string): ChannelPath[] {
  const records = parse(fs.readFileSync(file, 'utf8'), { delimiter: ';', bom: true, from_line: 2, skip_empty_lines: true }) as string[][];
  return records.map(([pathText, conversions, value, nulls]) => ({
    channels: pathText!.split('>').map((c) => c.trim()).filter(Boolean),
    conversions: Number(conversions),
    value: Number(value),
    nulls: Number(nulls),
  }));
}

type Expected = Map<string, Record<string, number>>;

function expectedTotals(rows: readonly ChannelPath[]): Expected {
  const expected: Expected = new Map();
  const add = (channel: string, column: string, amount: number) => {
    const totals = expected.get(channel) ?? {};
    totals[column] = (totals[column] ?? 0) + amount;
    expected.set(channel, totals);
  };
  const effects = removalEffectsByDefinition(rows);
  for (const row of rows) {
    const { channels, conversions, value } = row;
    for (const channel of channels) add(channel, 'first_touch_conversions', 0);
    add(channels[0]!, 'first_touch_conversions', conversions);
    add(channels[0]!, 'first_touch_value', value);
    add(channels.at(-1)!, 'last_touch_conversions', conversions);
    add(channels.at(-1)!, 'last_touch_value', value);
    for (const channel of channels) {
      add(channel, 'linear_touch_conversions', conversions / channels.length);
      add(channel, 'linear_touch_value', value / channels.length);
    }
    const distinct = [...new Set(channels)];
    const effectOnPath = distinct.reduce((sum, channel) => sum + (effects.get(channel) ?? 0), 0);
    for (const channel of distinct) {
      const share = effectOnPath > 0 ? (effects.get(channel) ?? 0) / effectOnPath : channels.filter((c) => c === channel).length / channels.length;
      add(channel, 'markov_conversions', conversions * share);
      add(channel, 'markov_value', value * share);
    }
  }
  return expected;
}

function relativelyClose(actual: number, expected: number, tolerance: number): boolean {
  return Math.abs(actual - expected) <= tolerance * Math.max(1, Math.abs(expected));
}

const dataFiles = fs
  .readdirSync(dataDir)
  .filter((name) => fs.statSync(path.join(dataDir, name)).isFile() && fs.readFileSync(path.join(dataDir, name), 'utf8').replace(/^\uFEFF/, '').startsWith('path;'));

describe('longfunnel attribution on the public path data', () => {
  test('the data folder has at least one path file', () => {
    assert.ok(dataFiles.length > 0, `no path files in ${dataDir}`);
  });

  for (const name of dataFiles) {
    test(`when ${name} is attributed, then totals are conserved and every model matches its definition`, async () => {
      const file = path.join(dataDir, name);
      const { code, stdout, stderr } = await runAttribution(['--input', file]);
      assert.equal(stderr, '');
      assert.equal(code, 0);
      assert.equal(stdout.split('\n')[0], OUTPUT_HEADER);
      const output = parse(stdout, { columns: true }) as Record<string, string>[];
      const rows = readRows(file);

      const totalConversions = rows.reduce((sum, row) => sum + row.conversions, 0);
      const totalValue = rows.reduce((sum, row) => sum + row.value, 0);
      const integerConversions = rows.every((row) => Number.isInteger(row.conversions));
      for (const model of MODELS) {
        const conversions = output.reduce((sum, row) => sum + Number(row[`${model}_conversions`]), 0);
        const value = output.reduce((sum, row) => sum + Number(row[`${model}_value`]), 0);
        if (integerConversions && (model === 'first_touch' || model === 'last_touch')) assert.equal(conversions, totalConversions, model);
        assert.ok(relativelyClose(conversions, totalConversions, 1e-12), `${model} conversions ${conversions} vs ${totalConversions}`);
        assert.ok(relativelyClose(value, totalValue, 1e-12), `${model} value ${value} vs ${totalValue}`);
      }

      const expected = expectedTotals(rows);
      assert.deepEqual(output.map((row) => row.channel_name), [...expected.keys()], 'channels in order of first appearance');
      for (const row of output) {
        const expectedRow = expected.get(row.channel_name!)!;
        for (const column of OUTPUT_HEADER.split(',').slice(1)) {
          const actual = Number(row[column]);
          assert.ok(relativelyClose(actual, expectedRow[column] ?? 0, 1e-9), `${row.channel_name} ${column}: ${actual} vs ${expectedRow[column] ?? 0}`);
        }
      }
    });
  }
});

describe('longfunnel attribution errors', () => {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'lf-attribution-'));
  const write = (name: string, text: string) => {
    const file = path.join(scratch, name);
    fs.writeFileSync(file, text);
    return file;
  };

  const cases: [name: string, args: () => string[], code: number, message: RegExp][] = [
    ['--input is missing', () => [], 2, /longfunnel attribution: --input is required/],
    ['an unknown option is given', () => ['--inptu', 'x.csv'], 2, /Unknown option '--inptu'.*usage: longfunnel attribution --input paths.csv/],
    ['the file does not exist', () => ['--input', path.join(scratch, 'missing.csv')], 1, /cannot read .*missing\.csv: no such file/],
    ['the header is wrong', () => ['--input', write('header.csv', 'path,conversions\n')], 1, /header\.csv: line 1: the header must be path;total_conversions;total_conversion_value;total_null/],
    ['a number is bad', () => ['--input', write('number.csv', 'path;total_conversions;total_conversion_value;total_null\na > b;1;2;0\nb;1;x;0\n')], 1, /number\.csv: line 3: total_conversion_value is not a number: "x"/],
  ];
  for (const [name, args, code, message] of cases) {
    test(`when ${name}, then it exits ${code} with one clear line and prints no CSV`, async () => {
      const result = await runAttribution(args());
      assert.equal(result.code, code);
      assert.equal(result.stdout, '');
      assert.match(result.stderr, message);
      assert.equal(result.stderr.trim().split('\n').length, 1);
    });
  }
});
