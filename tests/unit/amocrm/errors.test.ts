/** amoCRM's error answers, as ../shared/crm/amocrm.md gives them, and what each means to a worker. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isRetryable, type CrmFailureCode } from '../../../integrations/crmFailure.js';
import { translateAmocrmError } from '../../../integrations/amocrm/errors.js';

const oauthProblem = (hint: string, status: number) => ({
  hint,
  title: 'Некорректный запрос',
  type: 'https://developers.amocrm.ru/v3/errors/OAuthProblemJson',
  status,
  detail: 'В запросе отсутствует ряд параметров или параметры невалидны',
});

const cases: Array<[string, number | undefined, unknown, CrmFailureCode]> = [
  ['no answer at all (timeout)', undefined, undefined, 'TEMPORARY'],
  ['429 from the gateway, an HTML body', 429, '<html><body>429 Too Many Requests</body></html>', 'RATE_LIMITED'],
  ['403 block page from nginx', 403, '<html><head><title>403 Forbidden</title></head><body><center><h1>403 Forbidden</h1></center><hr><center>nginx</center></body></html>', 'BLOCKED'],
  ['403 problem+json (the user lacks rights)', 403, { title: 'Forbidden', type: 'https://httpstatus.es/403', status: 403, detail: 'Access denied' }, 'FORBIDDEN'],
  ['401 with an expired access token', 401, { title: 'Unauthorized', type: 'https://httpstatus.es/401', status: 401, detail: 'Необходимо передать авторизационные данные' }, 'AUTH_EXPIRED'],
  ['401 spent refresh token', 401, oauthProblem('Token has been revoked', 401), 'AUTH_REVOKED'],
  ['401 token of another client', 401, oauthProblem('Token is not linked to client', 401), 'AUTH_REVOKED'],
  ['400 malformed or expired refresh token', 400, oauthProblem('Invalid refresh token', 400), 'AUTH_REVOKED'],
  ['400 expired authorization code', 400, oauthProblem('Authorization code has expired', 400), 'AUTH_REVOKED'],
  ['400 authorization code used twice', 400, oauthProblem('Authorization code has been revoked', 400), 'AUTH_REVOKED'],
  ['400 wrong client_id', 400, oauthProblem('Check the `client_id` parameter', 400), 'FORBIDDEN'],
  ['401 wrong client secret (League invalid_client)', 401, oauthProblem('Client authentication failed', 401), 'FORBIDDEN'],
  ['402 subscription expired', 402, { title: 'Payment Required', status: 402 }, 'ACCOUNT_INACTIVE'],
  ['404 unknown lead', 404, { title: 'Not Found', type: 'https://httpstatus.es/404', status: 404, detail: 'Not Found' }, 'NOT_FOUND'],
  ['422 semantically invalid custom field', 422, { title: 'Unprocessable Entity', status: 422, detail: 'Field is invalid' }, 'VALIDATION'],
  ['502 from the gateway', 502, '<html>Bad Gateway</html>', 'TEMPORARY'],
  ['504 timeout of the gateway', 504, undefined, 'TEMPORARY'],
  ['an unexpected 409', 409, { title: 'Conflict', status: 409 }, 'UNKNOWN'],
];

for (const [what, status, body, code] of cases) {
  test(`when amoCRM answers ${what}, then it is ${code}`, () => {
    assert.equal(translateAmocrmError(status, body).code, code);
    assert.equal(translateAmocrmError(status, typeof body === 'object' ? JSON.stringify(body) : body).code, code, 'the same as raw text');
  });
}

test('when a 400 carries validation-errors, then each field problem is kept', () => {
  const failure = translateAmocrmError(400, {
    'validation-errors': [
      {
        request_id: '0',
        errors: [{ code: 'NotSupportedChoice', path: 'custom_fields_values.0.field_id', detail: 'The value you selected is not a valid choice.' }],
      },
    ],
    title: 'Bad Request',
    type: 'https://httpstatus.es/400',
    status: 400,
    detail: 'Request validation failed',
  });
  assert.equal(failure.code, 'VALIDATION');
  assert.equal(failure.message, 'amoCRM refused the data: Request validation failed');
  assert.deepEqual(failure.fields, [{ path: 'custom_fields_values.0.field_id', code: 'NotSupportedChoice', detail: 'The value you selected is not a valid choice.' }]);
});

test('when a failure is a rate limit or temporary, then it is retryable, and nothing else is', () => {
  const retryable = (['RATE_LIMITED', 'BLOCKED', 'AUTH_EXPIRED', 'AUTH_REVOKED', 'ACCOUNT_INACTIVE', 'FORBIDDEN', 'NOT_FOUND', 'VALIDATION', 'TEMPORARY', 'UNKNOWN'] as const).filter(isRetryable);
  assert.deepEqual(retryable, ['RATE_LIMITED', 'TEMPORARY']);
});
