/** What every REST method receives once the portal and the caller are known, and how it is declared. */
import type { EmulatorClock } from '../../../amocrm/emulator/clock.js';
import type { CrmContext } from '../crm/records.js';
import { legacyError, type MethodResult } from '../envelope.js';
import type { LifecycleContext } from '../lifecycle.js';
import type { Caller } from '../oauth.js';
import type { Bitrix24EmulatorOptions } from '../options.js';
import type { Bitrix24State, Portal } from '../state.js';

export interface MethodContext {
  state: Bitrix24State;
  clock: EmulatorClock;
  options: Bitrix24EmulatorOptions;
  portal: Portal;
  caller: Caller;
  /** Query and body merged, body winning (file 4.1); `start` and `auth` included. */
  params: Record<string, unknown>;
  /** For writes: the caller as the actor, events and traces wired. */
  crm: CrmContext;
  lifecycle: LifecycleContext;
}

export interface MethodDefinition {
  /** Scope the caller must have (file 1.7: `insufficient_scope`); a list: any one of them; null = any. */
  scope: string | readonly string[] | null;
  /** Only app (OAuth) auth; a webhook gets 403 WRONG_AUTH_TYPE (file 1.8). */
  appOnly?: boolean;
  handler(context: MethodContext): MethodResult;
}

export type MethodTable = Record<string, MethodDefinition>;

/** Legacy key resolution (file 3.1): `fields`/`FIELDS`/`Fields`/`arFields`, same for filter etc. */
export function looseParam(params: Record<string, unknown>, name: string): unknown {
  const capitalised = name.charAt(0).toUpperCase() + name.slice(1);
  for (const key of [name, name.toUpperCase(), capitalised, `ar${capitalised}`]) if (key in params) return params[key];
  return undefined;
}

/** `id`/`ID` cast to int; missing or <= 0 is `ID is not defined or invalid.` (file 3.1). */
export function idParam(params: Record<string, unknown>): number {
  const id = Math.trunc(Number(params['id'] ?? params['ID']));
  if (!Number.isFinite(id) || id <= 0) throw legacyError('ID is not defined or invalid.');
  return id;
}

/** Case-insensitive lookup of a param (event.bind, placement.bind keys are matched that way). */
export function anyCaseParam(params: Record<string, unknown>, name: string): unknown {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(params)) if (key.toLowerCase() === wanted) return value;
  return undefined;
}
