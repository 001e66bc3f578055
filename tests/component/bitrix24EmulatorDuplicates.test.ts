import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createManualClock } from '../../integrations/amocrm/emulator/clock.js';
import type { Bitrix24Emulator } from '../../integrations/bitrix24/emulator/server.js';
import { startAcmePortal, type AcmePortal } from '../support/bitrix24.js';

describe('Bitrix24 emulator crm.duplicate.findbycomm (bitrix24.md 3.7)', () => {
  const clock = createManualClock(Date.UTC(2026, 4, 14, 8, 0, 0));
  let emulator: Bitrix24Emulator;
  let call: AcmePortal['call'];

  before(async () => {
    ({ emulator, call } = await startAcmePortal({ clock, leakyBucket: { enabled: false } }));
    emulator.setupPortal({ name: 'other' });
  });

  after(async () => {
    await emulator?.close();
  });

  test('when contacts and leads hold a phone, then findbycomm lists their integer ids by entity, phones compared by digits', async () => {
    const anna = emulator.createContact('acme', { NAME: 'Anna', PHONE: [{ VALUE: '+7 (900) 123-45-67', VALUE_TYPE: 'WORK' }] });
    const lead = emulator.createLead('acme', { TITLE: 'Anna lead', PHONE: [{ VALUE: '+79001234567', VALUE_TYPE: 'MOBILE' }] });
    emulator.createContact('acme', { NAME: 'Boris', PHONE: [{ VALUE: '+79009999999', VALUE_TYPE: 'WORK' }] });
    emulator.createContact('other', { NAME: 'Elsewhere', PHONE: [{ VALUE: '+79001234567', VALUE_TYPE: 'WORK' }] });
    const all = await call('crm.duplicate.findbycomm', { type: 'PHONE', values: ['+79001234567'] });
    assert.equal(all.status, 200);
    assert.deepEqual(all.body['result'], { LEAD: [lead], CONTACT: [anna] });
    const contacts = await call('crm.duplicate.findbycomm', { entity_type: 'CONTACT', type: 'PHONE', values: ['79001234567'] });
    assert.deepEqual(contacts.body['result'], { CONTACT: [anna] });
  });

  test('when an e-mail differs only in case, then it is found; when nothing matches, then the result is an empty array', async () => {
    const vera = emulator.createContact('acme', { NAME: 'Vera', EMAIL: [{ VALUE: 'Vera@Example.com', VALUE_TYPE: 'WORK' }] });
    const found = await call('crm.duplicate.findbycomm', { entity_type: 'CONTACT', type: 'EMAIL', values: ['vera@example.com'] });
    assert.deepEqual(found.body['result'], { CONTACT: [vera] });
    const none = await call('crm.duplicate.findbycomm', { entity_type: 'CONTACT', type: 'EMAIL', values: ['nobody@example.com'] });
    assert.deepEqual(none.body['result'], []);
  });

  test('when the type is missing, more than 20 values are sent, or the entity type is unknown, then the call fails with 400', async () => {
    const noType = await call('crm.duplicate.findbycomm', { values: ['+79001234567'] });
    assert.equal(noType.status, 400);
    const tooMany = await call('crm.duplicate.findbycomm', { type: 'PHONE', values: Array.from({ length: 21 }, (_, index) => `+7900000000${index}`) });
    assert.equal(tooMany.status, 400);
    assert.match(String(tooMany.body['error_description']), /Too many values/);
    const badEntity = await call('crm.duplicate.findbycomm', { entity_type: 'DEAL', type: 'PHONE', values: ['+79001234567'] });
    assert.equal(badEntity.status, 400);
  });
});
