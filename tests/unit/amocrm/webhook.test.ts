/** Every real amoCRM webhook body in ../shared/data/payloads/amocrm parses into the events it holds. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { leadChange, parseAmocrmWebhook, parseAmocrmWebhookBody } from '../../../integrations/amocrm/webhook.js';
import { sharedDir } from '../../support/repoRoot.js';

const samplesDir = path.join(sharedDir, 'data', 'payloads', 'amocrm');

interface Sample {
  raw_body?: string;
  raw_body_decoded?: string;
}

function readSample(file: string): Sample {
  return JSON.parse(fs.readFileSync(path.join(samplesDir, file), 'utf8')) as Sample;
}

/** Some bodies were stored cut short, before their `account[...]` fields. */
function hasAccount(file: string): boolean {
  const sample = readSample(file);
  return /account(\[|%5B)subdomain/.test(sample.raw_body ?? sample.raw_body_decoded ?? '');
}

function parseSample(file: string) {
  const sample = readSample(file);
  if (sample.raw_body !== undefined) return parseAmocrmWebhookBody(sample.raw_body);
  // Stored already percent-decoded: split it as the form it was, `+` still meaning a space.
  const entries = (sample.raw_body_decoded ?? '').split('&').map((pair): [string, string] => {
    const at = pair.indexOf('=');
    return at < 0 ? [pair, ''] : [pair.slice(0, at), pair.slice(at + 1).replace(/\+/g, ' ')];
  });
  return parseAmocrmWebhook(entries);
}

const expected: Record<string, { entity: string; action: string; id: string }> = {
  'company-webhook-delete.json': { entity: 'contacts', action: 'delete', id: '' },
  'contact-webhook-add.json': { entity: 'contacts', action: 'add', id: '' },
  'contact-webhook-delete.json': { entity: 'contacts', action: 'delete', id: '' },
  'contact-webhook-restore.json': { entity: 'contacts', action: 'restore', id: '' },
  'contact-webhook-update.json': { entity: 'contacts', action: 'update', id: '' },
  'lead-webhook-add.json': { entity: 'leads', action: 'add', id: '40334183' },
  'lead-webhook-delete.json': { entity: 'leads', action: 'delete', id: '' },
  'lead-webhook-responsible.json': { entity: 'leads', action: 'responsible', id: '' },
  'lead-webhook-restore.json': { entity: 'leads', action: 'restore', id: '' },
  'lead-webhook-status-2018-custom-fields.json': { entity: 'leads', action: 'status', id: '10701093' },
  'lead-webhook-status.json': { entity: 'leads', action: 'status', id: '40337679' },
  'lead-webhook-update.json': { entity: 'leads', action: 'update', id: '' },
};

test('when the samples are listed, then every one of them has an expectation here', () => {
  assert.deepEqual(fs.readdirSync(samplesDir).filter((file) => file.endsWith('.json')).sort(), Object.keys(expected).sort());
});

for (const [file, want] of Object.entries(expected)) {
  test(`when ${file} arrives, then it is one ${want.entity} ${want.action} event, with its account when the body has one`, () => {
    const webhook = parseSample(file);
    assert.equal(webhook.events.length, 1);
    const [event] = webhook.events;
    assert.equal(event?.entity, want.entity);
    assert.equal(event?.action, want.action);
    assert.match(event?.id ?? '', /^\d+$/);
    if (want.id) assert.equal(event?.id, want.id);
    if (hasAccount(file)) assert.match(webhook.account.subdomain ?? '', /^[a-z0-9-]+$/);
    else assert.deepEqual(webhook.account, {});
  });
}

test('when a lead moves to won (142), then the change carries the new and old status', () => {
  const [event] = parseSample('lead-webhook-status-2018-custom-fields.json').events;
  assert.deepEqual(leadChange(event!), { leadId: 10701093, statusId: 142, oldStatusId: 20067736, pipelineId: 9217056 });
  const customFields = event?.fields.custom_fields;
  assert.ok(customFields && typeof customFields === 'object');
});

test('when a body holds several events and indexes past 10, then all come out in index order', () => {
  const entries: Array<[string, string]> = [['account[subdomain]', 'acme'], ['account[id]', '7']];
  for (let index = 0; index < 25; index++) entries.push([`leads[add][${index}][id]`, String(100 + index)]);
  entries.push(['leads[status][0][id]', '5'], ['leads[status][0][status_id]', '143'], ['contacts[update][0][id]', '9']);
  const webhook = parseAmocrmWebhook(entries);
  assert.deepEqual(webhook.account, { id: '7', subdomain: 'acme' });
  assert.deepEqual(webhook.events.filter((event) => event.action === 'add').map((event) => event.id), Array.from({ length: 25 }, (_unused, index) => String(100 + index)));
  assert.deepEqual(webhook.events.slice(25).map((event) => `${event.entity}/${event.action}/${event.id}`), ['leads/status/5', 'contacts/update/9']);
});

test('when keys are malformed or try to reach the prototype, then they are skipped', () => {
  const webhook = parseAmocrmWebhookBody('leads[add][0][id]=1&leads[add][0][&__proto__[polluted]=1&leads[__proto__][0][id]=2&leads]x[=3');
  assert.deepEqual(webhook.events.map((event) => event.id), ['1']);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
});
