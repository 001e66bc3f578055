/**
 * Bitrix24's event POSTs (bitrix24.md 2.3-2.5): form-encoded with PHP bracket keys, every value a
 * string, one event per POST carrying only the record's id (`data[FIELDS][ID]`), and an `auth` block
 * whose `application_token` is the only proof the POST came from the portal. Read here into the
 * CRM-neutral `CrmChanges`; a changed stage is found when the worker reads the deal.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { CrmChanges } from '../../server/crm/crmAdapter.js';
import { recordId } from './bitrix24Connection.js';

export class EventBodyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EventBodyError';
  }
}

export interface Bitrix24Event {
  event: string;
  /** `data[FIELDS][ID]`; absent for app events (ONAPPUNINSTALL). */
  recordId: string | undefined;
  memberId: string;
  applicationToken: string;
  domain: string | undefined;
}

const digits = /^\d+$/;

/**
 * Parses and checks a body: an event name, the portal and the app token, a numeric id when there is
 * one. Only these few keys are read, straight from the decoded pairs (the last of a repeated key, as
 * PHP keeps it): a burst is thousands of bodies, and a whole bracket tree for each costs more than
 * the rest of taking it in. A key that PHP would read as a branch (`auth[member_id][x]`) is not the
 * leaf asked for, so it reads as absent, as in the tree.
 */
export function readBitrix24Event(body: string): Bitrix24Event {
  const pairs = new URLSearchParams(body);
  const leaf = (key: string) => {
    const values = pairs.getAll(key);
    const value = values[values.length - 1];
    return value === undefined || value === '' ? undefined : value;
  };
  const event = leaf('event')?.toUpperCase();
  const memberId = leaf('auth[member_id]');
  const applicationToken = leaf('auth[application_token]');
  if (!event) throw new EventBodyError('the body names no event (expected event=ONCRM...)');
  if (!memberId || !applicationToken) throw new EventBodyError('the body lacks auth[member_id] or auth[application_token]');
  const id = leaf('data[FIELDS][ID]');
  if (id !== undefined && !digits.test(id)) throw new EventBodyError(`data[FIELDS][ID] is not a number: ${id.slice(0, 20)}`);
  return { event, recordId: id, memberId, applicationToken, domain: leaf('auth[domain]') };
}

/** What we keep of an application token: its SHA-256, compared in constant time. */
export function applicationTokenHash(token: string): string {
  return createHash('sha256').update(`bitrix24-application-token:${token}`).digest('hex');
}

export function applicationTokenMatches(token: string, storedHash: unknown): boolean {
  if (typeof storedHash !== 'string' || storedHash.length !== 64) return false;
  return timingSafeEqual(Buffer.from(applicationTokenHash(token), 'hex'), Buffer.from(storedHash, 'hex'));
}

const handled: Record<string, (id: string) => Partial<CrmChanges>> = {
  ONCRMDEALADD: (id) => ({ touchedDealIds: [recordId('deal', id)] }),
  ONCRMDEALUPDATE: (id) => ({ touchedDealIds: [recordId('deal', id)] }),
  ONCRMDEALDELETE: (id) => ({ deletedDealIds: [recordId('deal', id)] }),
  ONCRMLEADADD: (id) => ({ touchedDealIds: [recordId('lead', id)] }),
  ONCRMLEADUPDATE: (id) => ({ touchedDealIds: [recordId('lead', id)] }),
  ONCRMLEADDELETE: (id) => ({ deletedDealIds: [recordId('lead', id)] }),
  ONCRMCONTACTADD: (id) => ({ touchedContactIds: [id] }),
  ONCRMCONTACTUPDATE: (id) => ({ touchedContactIds: [id] }),
};

/** Whether a stored body is worth a worker's time (a CRM event with an id we act on). */
export function isRecordEvent(event: Bitrix24Event): boolean {
  return event.recordId !== undefined && event.event in handled;
}

export function eventChanges(event: Bitrix24Event): CrmChanges {
  const changes = event.recordId !== undefined ? handled[event.event]?.(event.recordId) : undefined;
  return {
    touchedDealIds: changes?.touchedDealIds ?? [],
    deletedDealIds: changes?.deletedDealIds ?? [],
    stageChanges: [],
    touchedContactIds: changes?.touchedContactIds ?? [],
    // Bitrix24 events carry only the id: whether an update was our own is found by reading the deal.
    updatedDeals: [],
  };
}
