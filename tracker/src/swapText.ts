/**
 * The text edits of phone and e-mail substitution (PROTOCOL.md, "Swap"), DOM-free: the caller
 * hands it each text node's value and each `tel:`/`mailto:` link's `href`.
 */

/** What the collector answered: `[site's, this visit's]` phone digits and addresses, and how long it holds. */
export interface SwapAnswer {
  readonly phone?: [string, string];
  readonly email?: [string, string];
  /** Seconds the visit may stay quiet and keep this answer. */
  readonly ttl: number;
}

/** A run of digits with the separators pages write numbers with: `+7 (495) 123-45-67`, `8 495 123 45 67`, `tel:+74951234567`. */
const PHONE_RUN = /\+?\d[\d\s().-]{5,}\d/g;

/**
 * Replaces every phone number in `text` whose digits end with `find` (and carry at most a 3-digit
 * country or trunk prefix before it) by one ending with `show`, digit for digit, so the page's own
 * formatting stays: `+7 (495) 123-45-67` -> `+7 (495) 765-43-21`.
 */
export function swapPhone(text: string, find: string, show: string): string {
  return text.replace(PHONE_RUN, (run) => {
    const digits = run.replace(/\D/g, '');
    if (digits.length > find.length + 3 || digits.slice(-find.length) !== find) return run;
    let out = '';
    let left = find.length;
    let next = show.length;
    for (let i = run.length - 1; i >= 0; i--) {
      let char = run.charAt(i);
      if (left && char >= '0' && char <= '9') {
        char = --next >= 0 ? show.charAt(next) : '';
        // The first digit replaced: a longer number puts its extra digits there.
        if (!--left && next > 0) char = show.slice(0, next) + char;
      }
      out = char + out;
    }
    return out;
  });
}

export function swapText(text: string, swap: SwapAnswer): string {
  if (swap.phone) text = swapPhone(text, swap.phone[0], swap.phone[1]);
  if (swap.email) text = text.split(swap.email[0]).join(swap.email[1]);
  return text;
}
