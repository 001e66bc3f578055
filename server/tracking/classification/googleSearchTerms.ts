/** Google's own ways of carrying a search term outside the `q` parameter. */

type ReadParam = (name: string) => string | null;

/**
 * The advanced search form sends its fields apart: all of these words (`as_q`), any of them
 * (`as_oq`), the exact phrase (`as_epq`) and none of them (`as_eq`). They are joined back into
 * the query Google itself would show: `web analytics gpl OR source "real time" -oracle`.
 */
export function googleAdvancedSearchTerm(readParam: ReadParam): string | null {
  const words = (name: string): string[] => (readParam(name) ?? '').split(/\s+/).filter((word) => word !== '');
  const phrase = readParam('as_epq')?.trim();
  const parts = [
    ...words('as_q'),
    words('as_oq').join(' OR '),
    phrase ? `"${phrase}"` : '',
    ...words('as_eq').map((word) => `-${word}`),
  ].filter((part) => part !== '');
  return parts.length > 0 ? parts.join(' ') : null;
}

/** Google Images result pages before 2013 carried the search in `prev=/images?q=...`. */
export function googleImagesPreviousQuery(readParam: ReadParam): string | null {
  const previous = readParam('prev');
  if (previous === null) return null;
  const questionMark = previous.indexOf('?');
  return questionMark === -1 ? null : previous.slice(questionMark + 1);
}
