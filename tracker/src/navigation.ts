/**
 * Calls `onChange` after each history navigation: `pushState`, `replaceState` and `popstate`.
 * The caller decides whether the path or query changed (a hash-only change is not a page view).
 */
export function watchHistory(onChange: () => void): void {
  const methods = ['pushState', 'replaceState'] as const;
  for (const method of methods) {
    const original = history[method];
    history[method] = function (this: History) {
      // The page's own call goes first and its errors stay the page's.
      const result = original.apply(this, arguments as unknown as Parameters<History['pushState']>);
      onChange();
      return result;
    };
  }
  addEventListener('popstate', onChange);
}
