/**
 * Visitor and visit ids: 32 hex digits (128 random bits), inside the protocol's 8-64 characters
 * of `A-Z a-z 0-9 _ -`.
 */

export const ID_BYTES = 16;

export function idFromBytes(bytes: ArrayLike<number>): string {
  let id = '';
  // | 256 then slice: every byte gives exactly two digits, leading zero included.
  for (let i = 0; i < bytes.length; i++) id += (bytes[i]! | 256).toString(16).slice(1);
  return id;
}

/** Whether a stored value can be sent as an id; anything else is replaced by a fresh one. */
export function isId(value: string): boolean {
  return /^[\w-]{8,64}$/.test(value);
}
