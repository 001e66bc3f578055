import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { classifyVisit, type TrafficSource } from '../../../server/tracking/classification/index.js';
import { shortSourceName } from '../../../server/tracking/classification/sourceNames.js';

/**
 * Runs two public referrer corpora through the classifier and requires 98% of each to match.
 * The corpora name sources their own way; they are compared through the name map below (and
 * shortSourceName, which maps Matomo's list names), never by editing the data.
 */

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const corpusDir = path.resolve(repoRoot, '..', 'shared', 'data', 'referrers');
const REQUIRED_PASS_RATE = 0.98;

interface CaseResult {
  readonly what: string;
  readonly passed: boolean;
  readonly detail: string;
}

function classifyReferrer(referrer: string): TrafficSource {
  return classifyVisit({ url: 'https://shop.example/landing', referrer, siteHosts: ['shop.example'] });
}

function sameTerm(actual: string | null, expected: string | null): boolean {
  const normalize = (term: string | null): string | null => term?.trim().toLowerCase() || null;
  return normalize(actual) === normalize(expected);
}

function reportPassRate(corpus: string, results: readonly CaseResult[]): number {
  const passed = results.filter((result) => result.passed).length;
  const rate = passed / results.length;
  console.log(`${corpus}: ${passed}/${results.length} passed (${(rate * 100).toFixed(1)}%)`);
  for (const result of results.filter((item) => !item.passed)) console.log(`  failed: ${result.what}: ${result.detail}`);
  return rate;
}

// Snowplow referer-parser: https://github.com/snowplow-referer-parser/referer-parser (Apache-2.0).

interface SnowplowCase {
  readonly spec: string;
  readonly uri: string;
  readonly medium: 'search' | 'social' | 'email' | 'paid' | 'chatbot' | 'unknown';
  readonly source: string | null;
  readonly term: string | null;
  readonly known: boolean;
}

/** Snowplow's medium -> the mediums we store for it. Its `paid` covers search and display ads. */
const SNOWPLOW_MEDIUMS: Readonly<Record<SnowplowCase['medium'], readonly string[]>> = {
  search: ['organic'],
  social: ['social'],
  email: ['email'],
  chatbot: ['ai'],
  paid: ['cpc', 'display'],
  unknown: ['referral'],
};

/**
 * Snowplow names that shortSourceName does not turn into ours, by Snowplow medium. Snowplow
 * names a portal's Google-powered search after the portal ('1und1'); Matomo's list, and so we,
 * after the engine behind it.
 */
const SNOWPLOW_NAMES: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  search: { 'Ask Toolbar': 'ask', '1und1': 'google' },
  email: { 'Outlook.com': 'outlook', 'Orange Webmail': 'orange-mail' },
  chatbot: {
    'Claude.ai': 'claude',
    'Google Gemini': 'gemini',
    'META.ai': 'meta-ai',
    'Microsoft Copilot': 'copilot',
    'Mistral.ai': 'mistral',
    'Perplexity.ai': 'perplexity',
  },
};

function checkSnowplowCase(testCase: SnowplowCase): CaseResult {
  const result = classifyReferrer(testCase.uri);
  const mediums = testCase.known ? SNOWPLOW_MEDIUMS[testCase.medium] : SNOWPLOW_MEDIUMS.unknown;
  const expectedSource =
    testCase.known && testCase.source !== null
      ? (SNOWPLOW_NAMES[testCase.medium]?.[testCase.source] ?? shortSourceName(testCase.source))
      : null;
  const passed =
    mediums.includes(result.medium) &&
    (expectedSource === null || result.source === expectedSource) &&
    sameTerm(result.term, testCase.term);
  return {
    what: testCase.spec,
    passed,
    detail: `expected ${expectedSource}/${mediums.join('|')} "${testCase.term}", got ${result.source}/${result.medium} "${result.term}"`,
  };
}

test('when the Snowplow referer corpus is classified, then at least 98% of its cases match', () => {
  const cases = JSON.parse(readFileSync(path.join(corpusDir, 'snowplow-referer-tests.json'), 'utf8')) as SnowplowCase[];
  const rate = reportPassRate('snowplow referer corpus', cases.map(checkSnowplowCase));
  assert.ok(rate >= REQUIRED_PASS_RATE, `pass rate ${rate} is below ${REQUIRED_PASS_RATE}`);
});

// Matomo: tests/resources/extractSearchEngineInformationFromUrlTests.yml (GPL-3.0-or-later), read
// here as test input only. Matomo loads it with Spyc, which is laxer than YAML (`\'` inside a
// single-quoted string is a quote), so a YAML library would reject it; this reader does what
// Spyc does with the file's one shape: a list of `- url:` items with `key: 'value'` lines.

interface MatomoCase {
  readonly url: string;
  /** False or empty: not a search engine. */
  readonly engine: string | false | null;
  /** False or empty: a search without a term. */
  readonly keywords: string | false | null;
}

function matomoScalar(text: string): string | false | null {
  if (text === '') return null;
  if (text === 'false') return false;
  if (text.startsWith("'") && text.endsWith("'")) return text.slice(1, -1).replace(/\\'|''/g, "'");
  return text;
}

function readMatomoCases(text: string): MatomoCase[] {
  const items: Array<Array<string | false | null>> = [];
  for (const line of text.split(/\r?\n/)) {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const entry = /^(- )?[A-Za-z]+:\s*(.*)$/.exec(trimmed);
    if (!entry) throw new Error(`unexpected line in the Matomo corpus: ${line}`);
    if (entry[1]) items.push([]);
    items[items.length - 1]?.push(matomoScalar(entry[2] ?? ''));
  }
  // Matomo's PHPUnit data provider passes each item's values by position (url, engine,
  // keywords), so the one item whose key is misspelt `eninge` still supplies the engine.
  return items.map(([url, engine, keywords]) => ({ url: typeof url === 'string' ? url : '', engine: engine ?? null, keywords: keywords ?? null }));
}

function checkMatomoCase(testCase: MatomoCase): CaseResult {
  const result = classifyReferrer(testCase.url);
  const expectsSearch = typeof testCase.engine === 'string' && testCase.engine !== '';
  const expectedSource = expectsSearch ? shortSourceName(testCase.engine as string) : null;
  const expectedTerm = typeof testCase.keywords === 'string' ? testCase.keywords : null;
  const passed = expectsSearch
    ? result.medium === 'organic' && result.source === expectedSource && sameTerm(result.term, expectedTerm)
    : result.medium !== 'organic';
  return {
    what: testCase.url.slice(0, 100) || '(empty url)',
    passed,
    detail: `expected ${expectsSearch ? `${expectedSource}/organic "${expectedTerm}"` : 'not a search'}, got ${result.source}/${result.medium} "${result.term}"`,
  };
}

test('when the Matomo search-engine URL corpus is classified, then at least 98% of its cases match', () => {
  const text = readFileSync(path.join(corpusDir, 'matomo-extractSearchEngineInformationFromUrlTests.yml'), 'utf8');
  const rate = reportPassRate('matomo search engine corpus', readMatomoCases(text).map(checkMatomoCase));
  assert.ok(rate >= REQUIRED_PASS_RATE, `pass rate ${rate} is below ${REQUIRED_PASS_RATE}`);
});
