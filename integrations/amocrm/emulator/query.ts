/**
 * amoCRM query strings use PHP brackets (`filter[id][]=1`, `filter[id][0]=1`); these helpers read
 * them from a URLSearchParams without a general PHP-style parser.
 */
export function bracketValues(query: URLSearchParams, name: string): string[] {
  const values: string[] = [];
  for (const [key, value] of query) {
    if (key === name || key === `${name}[]` || new RegExp(`^${escapeRegExp(name)}\\[\\d+\\]$`).test(key)) values.push(value);
  }
  return values;
}

/** `with=contacts,loss_reason` as a set of names. */
export function withValues(query: URLSearchParams): Set<string> {
  return new Set(
    (query.get('with') ?? '')
      .split(',')
      .map((part) => part.trim())
      .filter((part) => part !== ''),
  );
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
