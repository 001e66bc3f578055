import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { REDACTED, maskPhone, redact, redactText } from '../../server/observability/redact.js';
import { createLogger } from '../../server/observability/logger.js';
import { runWithContext } from '../../server/observability/context.js';

const cases: Array<[string, string, string]> = [
  ['a Russian mobile in international format', 'call from +7 (912) 345-67-89 ok', 'call from +*********89 ok'],
  ['a Russian mobile in domestic format', 'phone 89123456789', 'phone *********89'],
  ['a phone with spaces', 'tel 8 912 345 67 89.', 'tel *********89.'],
  ['an email', 'from Ivan.Petrov@example.ru today', 'from I***@example.ru today'],
  ['a bearer token', 'Authorization: Bearer abc.def-123', `Authorization: Bearer ${REDACTED}`],
  ['a JWT', 'token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl here', `token ${REDACTED} here`],
  ['an OAuth code in a URL', '/oauth/amocrm/callback?code=def502abc&referer=x.amocrm.ru', `/oauth/amocrm/callback?code=${REDACTED}&referer=x.amocrm.ru`],
  ['a timestamp', '2026-11-22 11:03:30', '2026-11-22 11:03:30'],
  ['an ISO timestamp', '2026-11-22T11:03:30.000Z', '2026-11-22T11:03:30.000Z'],
  ['a deal id', 'deal 12345678 updated', 'deal 12345678 updated'],
  ['a UUID', 'request 3f2b8c1e-1234-4abc-9def-1234567890ab', 'request 3f2b8c1e-1234-4abc-9def-1234567890ab'],
];

for (const [what, input, expected] of cases) {
  test(`when a log text holds ${what}, then it is masked as expected`, () => {
    assert.equal(redactText(input), expected);
  });
}

test('when a phone is masked, then only its last two digits remain', () => {
  assert.equal(maskPhone('+7 912 345-67-89'), '+*********89');
});

test('when log meta has secret-named keys, then their values are blanked at any depth', () => {
  const out = redact({
    access_token: 'x',
    nested: { refresh_token: 'y', client_secret: 'z', auth: { application_token: 'q' } },
    headers: { authorization: 'Bearer t' },
    contact: { phone: '+79123456789', name: 'Ivan' },
    code: 'not_found',
  }) as Record<string, any>;
  assert.equal(out.access_token, REDACTED);
  assert.equal(out.nested.refresh_token, REDACTED);
  assert.equal(out.nested.client_secret, REDACTED);
  assert.equal(out.nested.auth, REDACTED);
  assert.equal(out.headers.authorization, REDACTED);
  assert.equal(out.contact.phone, '+*********89');
  assert.equal(out.contact.name, 'Ivan');
  assert.equal(out.code, 'not_found');
});

function capture(nodeEnv: 'production' | 'development') {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { lines, logger: createLogger({ level: 'info', nodeEnv, stream }) };
}

test('when logging in production, then lines are JSON with the context and masked data', () => {
  const { lines, logger } = capture('production');
  runWithContext({ requestId: 'req-12345678', tenant: 'acme' }, () => {
    logger.info('lead from ivan@example.com', { phone: '+79123456789', access_token: 'secret' });
  });
  const line = JSON.parse(lines[0] ?? '{}');
  assert.equal(line.message, 'lead from i***@example.com');
  assert.equal(line.requestId, 'req-12345678');
  assert.equal(line.tenant, 'acme');
  assert.equal(line.phone, '+*********89');
  assert.equal(line.access_token, REDACTED);
  assert.equal(line.level, 'info');
  assert.ok(line.timestamp);
});

test('when logging in development, then lines are readable text with the context', () => {
  const { lines, logger } = capture('development');
  runWithContext({ jobId: 'job-1', queue: 'enrich' }, () => logger.warn('slow'));
  assert.match(lines[0] ?? '', /^\S+ warn slow jobId=job-1 queue=enrich\n?$/);
});
