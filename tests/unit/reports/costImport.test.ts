/** Cost files parsed line by line: mappings, separators, number and date formats, bad lines by number. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CostFileError, parseAmount, parseCostFile, parseDay } from '../../../server/reports/costImport.js';

test('when amounts are written the Russian way or plainly, then they are read; anything else is not', () => {
  assert.equal(parseAmount('1234.5'), 1234.5);
  assert.equal(parseAmount('1 234,50'), 1234.5);
  assert.equal(parseAmount('1\u00a0234,5'), 1234.5);
  assert.equal(parseAmount(' 7 '), 7);
  for (const bad of ['', 'abc', '1,234.5', '1.2.3', '12р']) assert.equal(parseAmount(bad), undefined, bad);
});

test('when dates are ISO or DD.MM.YYYY, then they are read; impossible dates are not', () => {
  assert.equal(parseDay('2026-03-01'), '2026-03-01');
  assert.equal(parseDay('01.03.2026'), '2026-03-01');
  for (const bad of ['2026-02-30', '31.04.2026', '2026/03/01', '1.3.2026', '']) assert.equal(parseDay(bad), undefined, bad);
});

test('when a generic file has quoted fields, a BOM and Windows line ends, then its lines are read with their numbers', () => {
  const text = '\ufeffdate,source,medium,campaign,cost\r\n2026-03-01,Yandex,CPC,"sofas, msk",10\r\n2026-03-02,yandex,cpc,,-1\r\n';
  const parsed = parseCostFile(text, { mapping: 'generic', currency: 'RUB' });
  assert.deepEqual(parsed.rows, [{ line: 2, day: '2026-03-01', source: 'yandex', medium: 'cpc', campaign: 'sofas, msk', cost: 10 }]);
  assert.deepEqual(parsed.skipped.map((line) => line.line), [3]);
  assert.match(parsed.skipped[0]!.reason, /non-negative/);
});

test('when a generic file lacks source or medium, or a file has no header, then it is refused as a whole', () => {
  assert.throws(() => parseCostFile('date,campaign,cost\n2026-03-01,a,1\n', { mapping: 'generic', currency: 'RUB' }), CostFileError);
  assert.throws(() => parseCostFile('2026-03-01,yandex,cpc,a,1\n', { mapping: 'generic', currency: 'RUB' }), CostFileError);
  assert.throws(() => parseCostFile('a;b\n1;2\n', { mapping: 'vk_ads', currency: 'RUB' }), /spent|потрачено/);
});

test('when a Yandex Direct report is read, then its title and summary lines are skipped and source/medium can be overridden', () => {
  const text = ['"Report (2026-03-01 - 2026-03-01)"', 'Date\tCampaignId\tCampaignName\tCost', '2026-03-01\t42\tsofas\t12.5', 'Total rows: 1'].join('\n');
  const parsed = parseCostFile(text, { mapping: 'yandex_direct', currency: 'RUB', source: 'yandex_direct', medium: 'CPC' });
  assert.deepEqual(parsed, { rows: [{ line: 3, day: '2026-03-01', source: 'yandex_direct', medium: 'cpc', campaign: 'sofas', cost: 12.5 }], skipped: [] });
});
