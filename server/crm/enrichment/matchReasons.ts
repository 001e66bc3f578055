/**
 * Why a deal has no source (match method `none`): one of a fixed set, so the "leads without source"
 * report can count them by cause. The database refuses any other reason for `none`
 * (migration 0007, `deals_none_reason_check`); a new reason is a new migration and a line here.
 */
export const NO_MATCH_REASONS = {
  /** The deal has a phone or e-mail, but no visitor id, and no visitor ever left that phone or e-mail. */
  no_tracker_visit: 'no_tracker_visit',
  /** The deal carries nothing to match by: no visitor id, no phone, no e-mail. */
  no_identity: 'no_identity',
  /** A tracked call came in on a pool number no visit held at that time (set by call tracking). */
  call_to_non_leased_number: 'call_to_non_leased_number',
  /** A tracked call came in on a number whose lease had already ended (set by call tracking). */
  lease_expired: 'lease_expired',
} as const;

export type NoMatchReason = (typeof NO_MATCH_REASONS)[keyof typeof NO_MATCH_REASONS];

export const noMatchReasons: readonly NoMatchReason[] = Object.values(NO_MATCH_REASONS);

export function isNoMatchReason(value: unknown): value is NoMatchReason {
  return typeof value === 'string' && (noMatchReasons as readonly string[]).includes(value);
}

/** What each reason means in the deal's note and the report (English; the dashboard translates). */
export const noMatchReasonText: Record<NoMatchReason, string> = {
  no_tracker_visit: 'no visitor id, and no visitor left this phone or e-mail',
  no_identity: 'no visitor id, phone or e-mail in the deal',
  call_to_non_leased_number: 'the call came to a tracking number no visit held',
  lease_expired: "the call came after the number's lease had ended",
};
