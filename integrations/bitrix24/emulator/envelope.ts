/**
 * Every answer goes through here (bitrix24.md 4.1-4.3): JSON with the portal's CORS headers;
 * success = `result` [+ `next`] [+ `total`] + `time` in that order; errors = `error` +
 * `error_description` (+ extra keys such as `argument`), never a `time` object.
 */
import type { ServerResponse } from 'node:http';

/** A REST failure: HTTP status, Bitrix24 code (`""` for legacy CRM errors), description, extra keys. */
export class RestError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly description: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(description);
    this.name = 'RestError';
  }

  body(): Record<string, unknown> {
    return { error: this.code, error_description: this.description, ...this.extra };
  }
}

/** Legacy `crm.*` errors: empty code, HTTP 400 (file 3.1). */
export function legacyError(description: string): RestError {
  return new RestError(400, '', description);
}

export function argumentError(argument: string): RestError {
  return new RestError(400, 'ERROR_ARGUMENT', `Argument '${argument}' is null or empty`, { argument });
}

export interface CallTime {
  start: number;
  finish: number;
  duration: number;
  processing: number;
  date_start: string;
  date_finish: string;
  operating_reset_at?: number;
  operating?: number;
}

/** ISO 8601 with a fixed offset such as `+03:00`, to the second (PHP `date('c')`). */
export function isoWithOffset(epochMs: number, offset: string): string {
  const match = /^([+-])(\d{2}):(\d{2})$/.exec(offset);
  const sign = match?.[1] === '-' ? -1 : 1;
  const minutes = sign * (Number(match?.[2] ?? 0) * 60 + Number(match?.[3] ?? 0));
  const shifted = new Date(Math.floor(epochMs / 1000) * 1000 + minutes * 60_000);
  return `${shifted.toISOString().slice(0, 19)}${match ? offset : '+00:00'}`;
}

export function callTime(startMs: number, finishMs: number, processingSeconds: number, offset: string, operating?: { seconds: number; resetAt: number }): CallTime {
  const time: CallTime = {
    start: startMs / 1000,
    finish: finishMs / 1000,
    duration: (finishMs - startMs) / 1000,
    processing: processingSeconds,
    date_start: isoWithOffset(startMs, offset),
    date_finish: isoWithOffset(finishMs, offset),
  };
  if (operating) {
    time.operating_reset_at = operating.resetAt;
    time.operating = operating.seconds;
  }
  return time;
}

function send(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  response.statusCode = status;
  response.setHeader('Content-Type', 'application/json; charset=utf-8');
  response.setHeader('Access-Control-Allow-Origin', '*');
  response.setHeader('Access-Control-Allow-Headers', 'origin, content-type, accept');
  response.setHeader('X-Content-Type-Options', 'nosniff');
  for (const [name, value] of Object.entries(headers)) response.setHeader(name, value);
  response.end(JSON.stringify(body));
}

export interface MethodResult {
  result: unknown;
  next?: number;
  total?: number;
}

export function sendSuccess(response: ServerResponse, outcome: MethodResult, time: CallTime, headers: Record<string, string> = {}): void {
  const body: Record<string, unknown> = { result: outcome.result };
  if (outcome.next !== undefined) body['next'] = outcome.next;
  if (outcome.total !== undefined) body['total'] = outcome.total;
  body['time'] = time;
  send(response, 200, body, headers);
}

export function sendError(response: ServerResponse, error: RestError): void {
  send(response, error.status, error.body());
}

/** Token endpoint answers (file 1.6): plain JSON, no envelope. */
export function sendJson(response: ServerResponse, status: number, body: unknown): void {
  send(response, status, body);
}
