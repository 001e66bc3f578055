/**
 * Shared by `/leads/complex` and `/leads/unsorted/forms`: form metadata (amocrm.md 2.3, 2.4) and
 * placing a lead in a pipeline's unsorted stage (`type: 1`).
 */
import { createHash } from 'node:crypto';
import type { ValidationError } from './responses.js';
import type { EmulatorState, FormMetadata, Pipeline } from './state.js';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const stringKeys = ['form_id', 'form_name', 'form_page', 'ip', 'referer', 'visitor_uid'] as const;

/** Metadata fields of the SDK's FormsMetadata; `form_sent_at` defaults to now, as in the SDK. */
export function readFormMetadata(input: unknown, path: string, nowSeconds: number, errors: ValidationError[]): FormMetadata | undefined {
  if (!isRecord(input)) {
    errors.push({ code: 'InvalidType', path, detail: 'This value should be of type object.' });
    return undefined;
  }
  const metadata: FormMetadata = { form_sent_at: nowSeconds };
  for (const key of stringKeys) {
    const value = input[key];
    if (value === undefined || value === null) continue;
    if (typeof value === 'string') metadata[key] = value;
    else errors.push({ code: 'InvalidType', path: `${path}.${key}`, detail: 'This value should be of type string.' });
  }
  for (const key of ['form_sent_at', 'form_type'] as const) {
    const value = input[key];
    if (value === undefined || value === null) continue;
    if (typeof value === 'number' && Number.isInteger(value)) metadata[key] = value;
    else errors.push({ code: 'InvalidType', path: `${path}.${key}`, detail: 'This value should be of type int.' });
  }
  if (input['category'] !== undefined && input['category'] !== 'forms') {
    errors.push({ code: 'NotSupportedChoice', path: `${path}.category`, detail: 'The value you selected is not a valid choice.' });
  }
  return metadata;
}

export function unsortedStatusId(pipeline: Pipeline): number | undefined {
  return pipeline.statuses.find((status) => status.type === 1)?.id;
}

/** A 40-hex uid like amoCRM's, derived from a sequence so tests can predict it. */
export function unsortedUid(state: EmulatorState, accountId: number): string {
  return createHash('sha1').update(`${accountId}:${state.nextId('unsorted')}`).digest('hex');
}
