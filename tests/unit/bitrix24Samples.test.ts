/**
 * Every stored Bitrix24 sample in ../shared/data/payloads/bitrix24 parses: event bodies (documented
 * as JSON, sent form-encoded with PHP bracket keys, or captured raw) into the event we act on, and
 * REST answers through our REST client's envelope. A sample of a kind we do not know fails the test.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { valueFromApi } from '../../integrations/bitrix24/bitrix24Fields.js';
import { applicationTokenMatches, applicationTokenHash, eventChanges, isRecordEvent, readBitrix24Event } from '../../integrations/bitrix24/events.js';
import { Bitrix24Rest } from '../../integrations/bitrix24/restClient.js';
import { encodeForm, type FormInput } from '../../integrations/formBrackets.js';
import { sharedDir } from '../support/repoRoot.js';

const samplesDir = path.join(sharedDir, 'data', 'payloads', 'bitrix24');
const files = fs.readdirSync(samplesDir).filter((file) => file.endsWith('.json')).sort();

interface Sample {
  payload?: { [key: string]: FormInput };
  raw_body?: string;
  expected?: Record<string, string>;
}

const readSample = (file: string) => JSON.parse(fs.readFileSync(path.join(samplesDir, file), 'utf8')) as Sample;
const eventFiles = files.filter((file) => file.startsWith('event-'));
const responseFiles = files.filter((file) => file.endsWith('-response-doc.json'));

/** Serves each REST answer sample at `/rest/<method>`, as a portal would. */
let server: Server;
let endpoint: string;

before(async () => {
  server = createServer((request, response) => {
    const method = (request.url ?? '').replace(/^\/rest\//, '').replace(/\?.*$/, '');
    const file = responseFiles.find((name) => name === `${method}-response-doc.json`);
    response.writeHead(file ? 200 : 404, { 'content-type': 'application/json' });
    response.end(file ? JSON.stringify(readSample(file).payload) : JSON.stringify({ error: 'ERROR_METHOD_NOT_FOUND', error_description: 'Method not found!' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/rest/`;
});

after(() => new Promise<void>((resolve) => server.close(() => resolve())));

test('when the samples are listed, then each is an event body or a REST answer', () => {
  assert.ok(eventFiles.length >= 3, `event samples: ${eventFiles.join(', ')}`);
  assert.ok(responseFiles.length >= 2, `REST answer samples: ${responseFiles.join(', ')}`);
  assert.deepEqual([...eventFiles, ...responseFiles].sort(), files);
});

for (const file of eventFiles) {
  test(`when the event sample ${file} is posted form-encoded, then it reads as its event, record and portal`, () => {
    const sample = readSample(file);
    const body = sample.raw_body ?? encodeForm(sample.payload ?? {});
    const event = readBitrix24Event(body);
    const source = sample.payload as { event: string; data: { FIELDS: { ID: string } }; auth: { member_id: string; application_token: string; domain: string } } | undefined;
    const expected = sample.expected ?? {
      event: source?.event ?? '',
      'data.FIELDS.ID': source?.data.FIELDS.ID ?? '',
      'auth.member_id': source?.auth.member_id ?? '',
      'auth.application_token': source?.auth.application_token ?? '',
      'auth.domain': source?.auth.domain ?? '',
    };
    assert.equal(event.event, expected['event']);
    assert.equal(event.recordId, expected['data.FIELDS.ID']);
    assert.equal(event.memberId, expected['auth.member_id']);
    assert.equal(event.applicationToken, expected['auth.application_token']);
    assert.equal(event.domain, expected['auth.domain']);
    assert.ok(isRecordEvent(event), 'a CRM event we act on');
    const changes = eventChanges(event);
    const id = expected['data.FIELDS.ID'];
    if (event.event.startsWith('ONCRMCONTACT')) assert.deepEqual(changes.touchedContactIds, [id]);
    else assert.deepEqual(changes.touchedDealIds, [id]);
    const stored = applicationTokenHash(event.applicationToken);
    assert.ok(applicationTokenMatches(event.applicationToken, stored));
    if (sample.expected?.['signature_invalid_with']) assert.ok(!applicationTokenMatches(event.applicationToken, applicationTokenHash(sample.expected['signature_invalid_with'])));
  });
}

for (const file of responseFiles) {
  test(`when a portal answers as in ${file}, then our REST client reads its result`, async () => {
    const method = file.replace(/-response-doc\.json$/, '');
    const expected = readSample(file).payload as { result: Record<string, unknown> };
    const answer = await new Bitrix24Rest({ endpoint, timeoutMs: 5_000 }).call<Record<string, unknown>>('token', method);
    assert.deepEqual(answer.result, expected.result);
    if (method === 'crm.deal.get') {
      assert.equal(valueFromApi('utm_source', answer.result['UTM_SOURCE']), 'google');
      assert.equal(valueFromApi('utm_campaign', answer.result['UTM_CAMPAIGN']), undefined, 'null is no value');
    }
  });
}
