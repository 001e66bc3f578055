/**
 * `GET /api/v4/events` records (amocrm.md 2.10). Ids are ULID-like strings: 10 Crockford base32
 * characters of the clock's milliseconds and 16 of a per-emulator sequence, so they sort by time
 * and are predictable in tests.
 */
import type { AmoEvent, EmulatorState, Lead } from './state.js';

const crockford = '0123456789abcdefghjkmnpqrstvwxyz';

function base32(value: bigint, length: number): string {
  let text = '';
  let rest = value;
  for (let index = 0; index < length; index += 1) {
    text = (crockford[Number(rest % 32n)] ?? '0') + text;
    rest /= 32n;
  }
  return text;
}

export function eventId(nowMs: number, sequence: number): string {
  return base32(BigInt(nowMs), 10) + base32(BigInt(sequence), 16);
}

export function recordEvent(state: EmulatorState, nowMs: number, event: Omit<AmoEvent, 'id'>): AmoEvent {
  const recorded: AmoEvent = { id: eventId(nowMs, state.nextId('event')), ...event };
  state.events.push(recorded);
  return recorded;
}

export function leadStatusValue(lead: Pick<Lead, 'statusId' | 'pipelineId'>): unknown[] {
  return [{ lead_status: { id: lead.statusId, pipeline_id: lead.pipelineId } }];
}
