/**
 * Shapes of the rows generated from Matomo's CC0 lists (see scripts/build-referrer-tables.mjs).
 * Field names follow the lists so a generated row reads like its YAML source.
 */

/** One definition block of a search engine; an engine may have several, each with its own hosts. */
export interface MatomoSearchEngine {
  /** The list's display name, e.g. 'Google Images', 'Yahoo!'. sourceNames.ts shortens it. */
  readonly name: string;
  /** Host patterns: `host`, `host/path-prefix`, `{}.host` (any subdomain), `host.{}` (any TLD). */
  readonly urls: readonly string[];
  /** Query parameters holding the search term, or `/regex/` with one capture over path and query. */
  readonly params: readonly string[];
  /**
   * Where the engine is known to hide the term (`/regex/` or an exact path and query). When set,
   * a referrer without a term parameter counts as a search only if its path matches one of them.
   */
  readonly hiddenkeyword?: readonly string[];
  /** Legacy encodings of the term, tried after UTF-8. */
  readonly charsets?: readonly string[];
}

/** A social network or AI assistant: its display name and host patterns. */
export interface MatomoSite {
  readonly name: string;
  readonly urls: readonly string[];
}
