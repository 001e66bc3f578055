import type { MatomoSearchEngine } from './tables/matomoTypes.js';
import { decodeQueryText, firstRawValue, parseRawQuery, type RawQuery } from './queryString.js';
import { googleAdvancedSearchTerm, googleImagesPreviousQuery } from './googleSearchTerms.js';
import { shortSourceName } from './sourceNames.js';

/** How one search engine's result pages are read: where the term is, and how it is encoded. */
export interface SearchEngineRule {
  /** Short source name, e.g. `yandex`. */
  readonly name: string;
  /** Query (or fragment) parameters that may hold the term, in the list's order. */
  readonly termParams: readonly string[];
  /** Regexes over path and query whose first group is the term (e.g. `/search/<term>`). */
  readonly termPatterns: readonly RegExp[];
  /** Paths where the engine hides the term; null when the list declares none. */
  readonly hiddenTermPaths: readonly PathMatcher[] | null;
  /** Legacy encodings tried after UTF-8 (windows-1251 for Mail.ru, GB2312 for Baidu...). */
  readonly charsets: readonly string[];
  /** A portal with a search box: only a term parameter makes its referrer a search. */
  readonly termRequired: boolean;
}

type PathMatcher = (pathAndQuery: string) => boolean;

/** A referrer URL taken apart for reading a search term. */
export interface SearchPage {
  /** Raw path and query, e.g. `/search?q=%D0%B0` ('/' for a bare origin). */
  readonly pathAndQuery: string;
  readonly query: RawQuery;
  /** Old engines (and Google's instant search) put parameters after `#`. */
  readonly fragment: RawQuery;
}

/** Parameters in which engines state the encoding of the request (`ie=gb2312`, `ei=Shift_JIS`). */
const CHARSET_PARAMS = ['ie', 'ei', 'charset', 'enc'];

/** Matomo writes regexes as `/.../`; anything else is an exact string. */
function asRegex(entry: string): RegExp | null {
  if (entry.length < 2 || !entry.startsWith('/') || !entry.endsWith('/')) return null;
  try {
    return new RegExp(entry.slice(1, -1));
  } catch {
    return null;
  }
}

function pathMatcher(entry: string): PathMatcher {
  const regex = asRegex(entry);
  return regex ? (pathAndQuery) => regex.test(pathAndQuery) : (pathAndQuery) => pathAndQuery === entry;
}

export function searchEngineRule(engine: MatomoSearchEngine, termRequired: boolean): SearchEngineRule {
  const termPatterns: RegExp[] = [];
  const termParams: string[] = [];
  for (const param of engine.params) {
    const regex = asRegex(param);
    if (regex) termPatterns.push(regex);
    else termParams.push(param);
  }
  return {
    name: shortSourceName(engine.name),
    termParams,
    termPatterns,
    hiddenTermPaths: engine.hiddenkeyword ? engine.hiddenkeyword.map(pathMatcher) : null,
    charsets: engine.charsets ?? [],
    termRequired,
  };
}

/** The engine's charset list entry a request's own hint names: `euc` -> `euc-jp`, `sjis` as is. */
function hintedCharsets(page: SearchPage, rule: SearchEngineRule): string[] {
  for (const param of CHARSET_PARAMS) {
    const hint = firstRawValue(page.query, param)?.trim().toLowerCase();
    if (!hint) continue;
    const fromList = rule.charsets.find((charset) => charset.toLowerCase().startsWith(hint));
    return fromList ? [fromList] : [hint];
  }
  return [];
}

interface RawTerm {
  /** Still percent-encoded; '' when the parameter is there but empty. */
  readonly raw: string;
}

function findInParams(params: RawQuery, names: readonly string[]): RawTerm | null {
  let empty: RawTerm | null = null;
  for (const name of names) {
    for (const value of params.get(name) ?? []) {
      if (value !== '') return { raw: value };
      empty = { raw: '' };
    }
  }
  return empty;
}

function findByPattern(page: SearchPage, patterns: readonly RegExp[]): RawTerm | null {
  for (const pattern of patterns) {
    const captured = pattern.exec(page.pathAndQuery)?.[1];
    if (captured !== undefined) return { raw: captured };
  }
  return null;
}

function findGoogleTerm(page: SearchPage, rule: SearchEngineRule, decode: (raw: string) => string): string | null {
  const readParam = (name: string): string | null => {
    const raw = firstRawValue(page.query, name);
    return raw === undefined ? null : decode(raw);
  };
  const previousQuery = googleImagesPreviousQuery(readParam);
  if (previousQuery !== null) {
    const nested = findInParams(parseRawQuery(previousQuery), rule.termParams);
    if (nested) return decode(nested.raw);
  }
  return googleAdvancedSearchTerm(readParam);
}

/**
 * Reads a search result page. Returns the term (null when the engine hides it) when the page
 * is a search, or null when it is not. A term parameter always makes a search. Without one: an
 * engine that declares where it hides terms is a search only there (google.com/ and
 * google.com/url yes, google.com/reader no); an engine that declares nothing is a search
 * anywhere on its hosts, unless the host is a portal. A host reached through the engine's parent
 * domain (docs.google.com) needs more than a bare origin, which any Google service sends.
 */
export function readSearchPage(rule: SearchEngineRule, page: SearchPage, viaParentDomain: boolean): { term: string | null } | null {
  const charsets = [...hintedCharsets(page, rule), ...rule.charsets];
  const decode = (raw: string): string => decodeQueryText(raw, charsets);
  const found =
    findInParams(page.query, rule.termParams) ??
    findInParams(page.fragment, rule.termParams) ??
    findByPattern(page, rule.termPatterns);

  let term = found && found.raw !== '' ? decode(found.raw) : null;
  if (term === null && rule.name === 'google') term = findGoogleTerm(page, rule, decode);
  const cleanTerm = term?.trim() || null;
  if (found || cleanTerm) return { term: cleanTerm };

  const isRoot = page.pathAndQuery === '/';
  if (rule.termRequired || (viaParentDomain && (isRoot || rule.hiddenTermPaths === null))) return null;
  if (rule.hiddenTermPaths === null) return { term: null };
  const paths = isRoot ? ['/', ''] : [page.pathAndQuery];
  const hidden = rule.hiddenTermPaths.some((matches) => paths.some((path) => matches(path)));
  return hidden ? { term: null } : null;
}
