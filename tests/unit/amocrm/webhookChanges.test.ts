/** Every stored real amoCRM webhook body, read into the CRM-neutral changes the workers act on. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { amocrmSampleBody, amocrmSampleFiles } from '../../support/amocrmSamples.js';
import type { CrmChanges } from '../../../server/crm/crmAdapter.js';
import { readAmocrmWebhook, webhookChanges, WebhookBodyError } from '../../../integrations/amocrm/webhookChanges.js';



const none: CrmChanges = { touchedDealIds: [], deletedDealIds: [], stageChanges: [], touchedContactIds: [], updatedDeals: [] };

const expected: Record<string, CrmChanges> = {
  // Companies arrive under `contacts` with type=company: no deal can match through them.
  'company-webhook-delete.json': none,
  // The contact bodies were stored cut before `type`: a contact is what amoCRM means without it.
  'contact-webhook-add.json': { ...none, touchedContactIds: ['52171487'] },
  'contact-webhook-update.json': { ...none, touchedContactIds: ['52171487'] },
  'contact-webhook-restore.json': { ...none, touchedContactIds: ['52171487'] },
  'contact-webhook-delete.json': none,
  'lead-webhook-add.json': { ...none, touchedDealIds: ['40334183'] },
  // An update alone also says how the deal looks now, so our own writes coming back can be told apart.
  'lead-webhook-update.json': {
    ...none,
    touchedDealIds: ['40334183'],
    updatedDeals: [{ dealId: '40334183', fields: {}, amount: null, stageId: '9931849', pipelineId: '53218', responsibleUserId: '654094' }],
  },
  'lead-webhook-restore.json': { ...none, touchedDealIds: ['40334183'] },
  'lead-webhook-responsible.json': { ...none, touchedDealIds: ['40337679'] },
  'lead-webhook-delete.json': { ...none, deletedDealIds: ['52379505'] },
  'lead-webhook-status.json': {
    ...none,
    touchedDealIds: ['40337679'],
    stageChanges: [{ dealId: '40337679', pipelineId: '53218', fromStageId: '9931852', toStageId: '9931855', at: new Date(1457110201 * 1000) }],
  },
  // 2018 bodies have no updated_at: the move is dated by last_modified.
  'lead-webhook-status-2018-custom-fields.json': {
    ...none,
    touchedDealIds: ['10701093'],
    stageChanges: [{ dealId: '10701093', pipelineId: '9217056', fromStageId: '20067736', toStageId: '142', at: new Date(1539782664 * 1000) }],
  },
};

test('when the samples are listed, then every one has an expectation here', () => {
  assert.deepEqual(amocrmSampleFiles(), Object.keys(expected).sort());
});

for (const [file, want] of Object.entries(expected)) {
  test(`when ${file} is read, then it yields exactly its deals, deletions, stage changes and contacts`, () => {
    assert.deepEqual(webhookChanges(readAmocrmWebhook(amocrmSampleBody(file))), want);
  });
}

const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();

test('when one body adds and deletes the same lead, then it is deleted, not touched', () => {
  const changes = webhookChanges(readAmocrmWebhook(form({ 'leads[add][0][id]': '7', 'leads[delete][0][id]': '7', 'leads[update][0][id]': '8' })));
  assert.deepEqual(changes.touchedDealIds, ['8']);
  assert.deepEqual(changes.deletedDealIds, ['7']);
});

test('when an unsorted lead arrives, then its lead is touched; a declined one touches nothing; one without its uid is refused', () => {
  // Incoming leads are named by a hex `uid`, not a numeric id (amocrm.md 2.4; the emulator's unsorted webhook).
  const added = webhookChanges(readAmocrmWebhook(form({ 'unsorted[add][0][uid]': '2b9ed59d3f11', 'unsorted[add][0][lead_id]': '55' })));
  assert.deepEqual(added.touchedDealIds, ['55']);
  const declined = webhookChanges(
    readAmocrmWebhook(form({ 'unsorted[delete][0][action]': 'decline', 'unsorted[delete][0][uid]': '2b9ed59d3f12', 'unsorted[delete][0][lead_id]': '56' })),
  );
  assert.deepEqual(declined.touchedDealIds, []);
  assert.throws(() => readAmocrmWebhook(form({ 'unsorted[add][0][lead_id]': '57' })), WebhookBodyError);
});

test('when a status event lacks its time or pipeline, then the deal is touched but no stage change is invented', () => {
  const changes = webhookChanges(readAmocrmWebhook(form({ 'leads[status][0][id]': '9', 'leads[status][0][status_id]': '142' })));
  assert.deepEqual(changes.touchedDealIds, ['9']);
  assert.deepEqual(changes.stageChanges, []);
});

const refused: Array<[string, string]> = [
  ['an empty body', ''],
  ['no events', form({ 'account[id]': '1', 'account[subdomain]': 'acme' })],
  ['an event cut before its id', form({ 'leads[add][0][name]': 'Cut' })],
  ['a non-numeric id', form({ 'leads[add][0][id]': '1;DROP' })],
  ['a JSON body', JSON.stringify({ leads: { add: [{ id: 1 }] } })],
];
for (const [why, body] of refused) {
  test(`when the body is ${why}, then it is refused as unreadable`, () => {
    assert.throws(() => readAmocrmWebhook(body), WebhookBodyError);
  });
}
