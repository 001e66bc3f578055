/** The body `t.js` posts to `/collect` (PROTOCOL.md, "Body"), and the limits on its fields. */

export const PROTOCOL_VERSION = 2;
export const MAX_URL_LENGTH = 2048;
export const MAX_TITLE_LENGTH = 300;
export const MAX_GOAL_LENGTH = 100;

/** What the page says at the moment of a hit; the ids are added when it is sent. */
export interface PageHit {
  readonly type: 'pageview' | 'goal';
  readonly url: string;
  readonly title?: string;
  readonly goal?: string;
  readonly value?: number;
  readonly ts: number;
}

export interface Payload extends PageHit {
  readonly v: typeof PROTOCOL_VERSION;
  readonly site: string;
  readonly visitor: string;
  readonly visit: string;
  readonly landing: string;
  readonly referrer?: string;
  readonly ym_uid?: string;
  readonly ga_cid?: string;
  readonly screen?: string;
  /** Asks which phone and e-mail this visit shows (PROTOCOL.md, "Swap"). */
  readonly swap?: 1;
}

/** Cuts to at most `max` UTF-16 units without splitting a surrogate pair (an emoji cut in half is not text). */
export function cut(text: string, max: number): string {
  const end = text.length > max && /[\uD800-\uDBFF]/.test(text.charAt(max - 1)) ? max - 1 : max;
  return text.slice(0, end);
}

/** Optional text fields are left out when empty: an empty string is not a value. */
export function optionalText(text: string, max: number): string | undefined {
  return text ? cut(text, max) : undefined;
}

/** A goal name of 1-100 characters (longer: cut); anything else ignores the call. */
export function goalName(name: unknown): string | undefined {
  return typeof name === 'string' ? optionalText(name, MAX_GOAL_LENGTH) : undefined;
}

/** A finite number; anything else sends the goal without a value. */
export function goalValue(value: unknown): number | undefined {
  return typeof value === 'number' && isFinite(value) ? value : undefined;
}
