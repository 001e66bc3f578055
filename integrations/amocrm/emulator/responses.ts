/**
 * Every answer the emulator gives goes through here, so content types, the `X-Request-Id` header
 * and the error envelopes of amocrm.md 3.1 / 1.5 are decided once.
 */
import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';

const statusTitles: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  402: 'Payment Required',
  404: 'Not Found',
  405: 'Method Not Allowed',
};

export interface ValidationError {
  code: string;
  path: string;
  detail: string;
}

export interface ValidationErrorEntry {
  request_id: string;
  errors: ValidationError[];
}

function send(response: ServerResponse, status: number, contentType: string | null, body: string): void {
  response.statusCode = status;
  response.setHeader('X-Request-Id', randomBytes(16).toString('hex'));
  if (contentType) response.setHeader('Content-Type', contentType);
  response.end(body);
}

export function sendHal(response: ServerResponse, status: number, body: unknown): void {
  send(response, status, 'application/hal+json; charset=utf-8', JSON.stringify(body));
}

/** Empty lists and searches answer 204 with no body, never `[]` (amocrm.md 2.1). */
export function sendNoContent(response: ServerResponse): void {
  send(response, 204, null, '');
}

export function sendProblem(response: ServerResponse, status: number, detail: string): void {
  send(
    response,
    status,
    'application/problem+json; charset=utf-8',
    JSON.stringify({ title: statusTitles[status] ?? 'Error', type: `https://httpstatus.es/${status}`, status, detail }),
  );
}

export function sendValidationErrors(response: ServerResponse, entries: ValidationErrorEntry[]): void {
  send(
    response,
    400,
    'application/problem+json; charset=utf-8',
    JSON.stringify({
      'validation-errors': entries,
      title: 'Bad Request',
      type: 'https://httpstatus.es/400',
      status: 400,
      detail: 'Request validation failed',
    }),
  );
}

/** The token endpoint's OAuthProblemJson; title and detail stay in Russian as amoCRM sends them. */
export function sendOAuthProblem(response: ServerResponse, status: number, hint: string): void {
  send(
    response,
    status,
    'application/problem+json; charset=utf-8',
    JSON.stringify({
      hint,
      title: 'Некорректный запрос',
      type: 'https://developers.amocrm.ru/v3/errors/OAuthProblemJson',
      status,
      detail: 'В запросе отсутствует ряд параметров или параметры невалидны',
    }),
  );
}

export function sendJson(response: ServerResponse, status: number, body: unknown): void {
  send(response, status, 'application/json; charset=utf-8', JSON.stringify(body));
}

/** 429 and the 403 block come from the gateway as HTML, without `Retry-After` (amocrm.md 3.2). */
export function sendGatewayHtml(response: ServerResponse, status: 403 | 429): void {
  const title = status === 403 ? '403 Forbidden' : '429 Too Many Requests';
  send(
    response,
    status,
    'text/html',
    `<html>\r\n<head><title>${title}</title></head>\r\n<body>\r\n<center><h1>${title}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n`,
  );
}
