/** Bitrix24's error answers (bitrix24.md 1.6, 1.7, 3.1, 4.3, 4.4) in the few codes the workers act on. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { translateBitrix24Error } from '../../integrations/bitrix24/errors.js';

const table: Array<[number | undefined, unknown, string]> = [
  [undefined, undefined, 'TEMPORARY'],
  [503, { error: 'QUERY_LIMIT_EXCEEDED', error_description: 'Too many requests' }, 'RATE_LIMITED'],
  [429, { error: 'OPERATION_TIME_LIMIT', error_description: 'Method is blocked due to operation time limit.' }, 'BLOCKED'],
  [503, { error: 'OVERLOAD_LIMIT', error_description: 'REST API is blocked due to overload.' }, 'BLOCKED'],
  [401, { error: 'expired_token', error_description: 'The access token provided has expired' }, 'AUTH_EXPIRED'],
  [401, { error: 'invalid_token', error_description: 'The access token provided is invalid' }, 'AUTH_EXPIRED'],
  [400, { error: 'invalid_grant', error_description: 'Invalid refresh token' }, 'AUTH_REVOKED'],
  [401, { error: 'APPLICATION_NOT_FOUND', error_description: 'Application not found' }, 'AUTH_REVOKED'],
  [400, { error: 'invalid_client', error_description: 'Invalid client credentials' }, 'FORBIDDEN'],
  [400, { error: 'PAYMENT_REQUIRED', error_description: 'Payment required' }, 'ACCOUNT_INACTIVE'],
  [401, { error: 'insufficient_scope', error_description: 'The request requires higher privileges than provided by the access token' }, 'FORBIDDEN'],
  [400, { error: '', error_description: 'Not found' }, 'NOT_FOUND'],
  [400, { error: '', error_description: 'ID is not defined or invalid.' }, 'VALIDATION'],
  [400, { error: 'ERROR_CORE', error_description: 'Unable to set event handler: Handler already binded' }, 'VALIDATION'],
  [500, { error: 'INTERNAL_SERVER_ERROR', error_description: 'Internal server error' }, 'TEMPORARY'],
  [502, '<html>Bad gateway</html>', 'TEMPORARY'],
  [404, { error: 'ERROR_METHOD_NOT_FOUND', error_description: 'Method not found!' }, 'UNKNOWN'],
];

for (const [status, body, code] of table) {
  test(`when Bitrix24 answers ${status ?? 'nothing'} ${JSON.stringify(body) ?? ''}, then the failure is ${code}`, () => {
    const failure = translateBitrix24Error(status, body);
    assert.equal(failure.code, code);
    assert.equal(failure.status, status);
    assert.ok(failure.message.length > 0);
  });
}

test('when the client keys are wrong, then the message names the variables to check', () => {
  assert.match(translateBitrix24Error(400, { error: 'invalid_client' }).message, /BITRIX24_CLIENT_ID and BITRIX24_CLIENT_SECRET/);
});
