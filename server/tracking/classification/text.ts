/** Column limit of every stored traffic-source field. */
export const FIELD_MAX_LENGTH = 255;

/** Cuts a value to the column limit without leaving half of a surrogate pair at the end. */
export function truncate(value: string, maxLength = FIELD_MAX_LENGTH): string {
  if (value.length <= maxLength) return value;
  const cut = value.slice(0, maxLength);
  const last = cut.charCodeAt(cut.length - 1);
  return last >= 0xd800 && last <= 0xdbff ? cut.slice(0, -1) : cut;
}

/**
 * An ad platform fills `{keyword}` or `{{campaign_id}}` when a click goes through its redirect;
 * a value that is still a bare macro (an ad preview, a copied template) carries no information.
 */
const UNEXPANDED_MACRO = /^\{+[^{}]*\}+$/;

/** Trims a tag value; empty strings and unexpanded macros become null. */
export function cleanTagValue(value: string | undefined): string | null {
  if (value === undefined) return null;
  const trimmed = value.trim();
  if (trimmed === '' || UNEXPANDED_MACRO.test(trimmed)) return null;
  return truncate(trimmed);
}

/** Source and medium are compared and grouped case-insensitively, so they are stored lower-case. */
export function cleanSourceOrMedium(value: string | undefined): string | null {
  const cleaned = cleanTagValue(value);
  return cleaned === null ? null : truncate(cleaned.toLowerCase());
}
