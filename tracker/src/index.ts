/**
 * Entry of `t.js`: reads the tag, replaces the `window.longfunnel` queue with the real function,
 * sends the page view of the page load, replays the calls queued before `t.js` loaded and watches
 * history navigation. Nothing here may throw into the host page.
 */
import { watchHistory } from './navigation.js';
import { readTag } from './tag.js';
import { watchForms } from './forms.js';
import { runCommand, startTracking, trackNavigation } from './tracker.js';

/** `window.longfunnel`: before `t.js` loads, the snippet's stub that queues its arguments in `q`. */
interface Longfunnel {
  (...args: unknown[]): void;
  q?: ArrayLike<unknown>[];
  /** Set by `t.js`, so that a second copy of the tag on the page does nothing. */
  loaded?: true;
}

declare global {
  interface Window {
    longfunnel?: Longfunnel;
  }
}

function start(): void {
  const stub = window.longfunnel;
  const tag = readTag();
  if ((stub && stub.loaded) || !tag) return;
  const longfunnel: Longfunnel = function () {
    try {
      runCommand(arguments);
    } catch {
      // a bad call must not break the page's code that made it
    }
  };
  longfunnel.loaded = true;
  window.longfunnel = longfunnel;
  startTracking(tag);
  // Forms get the visitor id as a hidden `_lfid` input when used, and may be captured as leads (forms.ts).
  watchForms(tag);
  watchHistory(() => {
    try {
      trackNavigation();
    } catch {
      // the page's navigation has happened; only our page view is lost
    }
  });
  const queued = stub && stub.q;
  if (queued) for (let i = 0; i < queued.length; i++) longfunnel.apply(window, queued[i] as unknown[]);
}

try {
  start();
} catch {
  // never into the host page
}
