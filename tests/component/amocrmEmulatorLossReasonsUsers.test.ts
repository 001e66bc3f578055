/**
 * amoCRM emulator: loss reasons (`loss_reason_id` on leads closed as lost, `with=loss_reason` in
 * the shape the SDK's LeadModel reads, `GET /api/v4/leads/loss_reasons`) and `GET /api/v4/users`.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createManualClock } from '../../integrations/amocrm/emulator/clock.js';
import { startAmocrmEmulator, type AmocrmEmulator, type EmulatedAccount } from '../../integrations/amocrm/emulator/server.js';
import { amocrmApi, expectJson, type AmocrmApiInit } from '../support/amocrmApi.js';

interface LossReasonBody {
  id: number;
  name: string;
  sort: number;
  created_at: number;
  updated_at: number;
}

interface LeadBody {
  id: number;
  status_id: number;
  loss_reason_id: number | null;
  _embedded: { loss_reason?: LossReasonBody[] };
}

describe('amoCRM emulator: loss reasons and users', () => {
  const clock = createManualClock(Date.UTC(2026, 10, 22, 12, 0, 0));
  let emulator: AmocrmEmulator;
  let acme: EmulatedAccount;
  let token: string;
  let expensive: number;
  let competitor: number;
  let foreign: number;

  before(async () => {
    emulator = await startAmocrmEmulator({ clock, rateLimit: { requestsPerWindow: 1_000_000 } });
    acme = emulator.setupAccount({ subdomain: 'acme' });
    emulator.setupAccount({ subdomain: 'other' });
    token = emulator.issueTokens('acme', acme.integration.clientId).access_token;
    expensive = emulator.addLossReason('acme', { name: 'Дорого' });
    competitor = emulator.addLossReason('acme', { name: 'Выбрал конкурента', sort: 5 });
    foreign = emulator.addLossReason('other', { name: 'Не дозвонились' });
  });

  after(async () => {
    await emulator?.close();
  });

  const api = (path: string, init: AmocrmApiInit = {}) => amocrmApi(acme.baseUrl, token, path, init);


  async function mainPipelineId(): Promise<number> {
    const body = await expectJson<{ _embedded: { pipelines: Array<{ id: number; is_main: boolean }> } }>(await api('/leads/pipelines'));
    return body._embedded.pipelines.find((pipeline) => pipeline.is_main)!.id;
  }

  test('when loss reasons are listed, then only the account\'s come back, by sort, in the SDK\'s shape', async () => {
    const body = await expectJson<{ _embedded: { loss_reasons: LossReasonBody[] } }>(await api('/leads/loss_reasons'));
    const now = Math.floor(clock.now() / 1000);
    assert.deepEqual(
      body._embedded.loss_reasons.map(({ id, name, sort, created_at, updated_at }) => ({ id, name, sort, created_at, updated_at })),
      [
        { id: expensive, name: 'Дорого', sort: 1, created_at: now, updated_at: now },
        { id: competitor, name: 'Выбрал конкурента', sort: 5, created_at: now, updated_at: now },
      ],
    );
    assert.equal((await expectJson<LossReasonBody>(await api(`/leads/loss_reasons/${competitor}`))).name, 'Выбрал конкурента');
    assert.equal((await api(`/leads/loss_reasons/${foreign}`)).status, 404);
  });

  test('when a lead is closed as lost with a reason, then with=loss_reason embeds it as a one-element list, and without it is absent', async () => {
    const pipelineId = await mainPipelineId();
    const created = await expectJson<{ _embedded: { leads: Array<{ id: number }> } }>(
      await api('/leads', { method: 'POST', body: [{ name: 'lost one', pipeline_id: pipelineId, status_id: 143, loss_reason_id: competitor }] }),
    );
    const id = created._embedded.leads[0]!.id;
    const withReason = await expectJson<{ _embedded: { leads: LeadBody[] } }>(await api(`/leads?filter[id][]=${id}&with=contacts,loss_reason`));
    const lead = withReason._embedded.leads[0]!;
    assert.equal(lead.loss_reason_id, competitor);
    assert.deepEqual(lead._embedded.loss_reason?.map(({ id: reasonId, name }) => ({ id: reasonId, name })), [{ id: competitor, name: 'Выбрал конкурента' }]);
    const plain = await expectJson<LeadBody>(await api(`/leads/${id}`));
    assert.equal(plain.loss_reason_id, competitor);
    assert.equal(plain._embedded.loss_reason, undefined);
  });

  test('when a lost lead gets a reason later, is reopened, or an open lead is sent a reason, then the reason follows status 143 only', async () => {
    const pipelineId = await mainPipelineId();
    const created = await expectJson<{ _embedded: { leads: Array<{ id: number }> } }>(await api('/leads', { method: 'POST', body: [{ name: 'open one', loss_reason_id: expensive }] }));
    const id = created._embedded.leads[0]!.id;
    assert.equal((await expectJson<LeadBody>(await api(`/leads/${id}`))).loss_reason_id, null, 'a reason on an open lead is ignored');
    await expectJson(await api(`/leads/${id}`, { method: 'PATCH', body: { pipeline_id: pipelineId, status_id: 143 } }));
    assert.equal((await expectJson<LeadBody>(await api(`/leads/${id}`))).loss_reason_id, null);
    await expectJson(await api(`/leads/${id}`, { method: 'PATCH', body: { loss_reason_id: expensive } }));
    assert.equal((await expectJson<LeadBody>(await api(`/leads/${id}?with=loss_reason`)))._embedded.loss_reason?.[0]?.name, 'Дорого');
    emulator.moveLead('acme', id, 0);
    const reopened = await expectJson<LeadBody>(await api(`/leads/${id}?with=loss_reason`));
    assert.equal(reopened.loss_reason_id, null);
    assert.equal(reopened._embedded.loss_reason, undefined);
  });

  test("when a lead names another account's loss reason or a non-integer, then it is a validation error and nothing changes", async () => {
    const pipelineId = await mainPipelineId();
    const body = await expectJson<{ 'validation-errors': Array<{ errors: Array<{ code: string; path: string }> }> }>(
      await api('/leads', { method: 'POST', body: [{ name: 'x', pipeline_id: pipelineId, status_id: 143, loss_reason_id: foreign }, { name: 'y', loss_reason_id: 'Дорого' }] }),
      400,
    );
    assert.deepEqual(
      body['validation-errors'].map((entry) => entry.errors.map((error) => [error.code, error.path])),
      [[['NotSupportedChoice', 'loss_reason_id']], [['InvalidType', 'loss_reason_id']]],
    );
  });

  test('when users are listed, then every user of the account comes with name, e-mail and rights, dismissed ones marked inactive', async () => {
    const anna = emulator.addUser('acme', { name: 'Анна Петрова' });
    const gone = emulator.addUser('acme', { name: 'Олег Сидоров', isActive: false });
    emulator.addUser('other', { name: 'Чужой' });
    const body = await expectJson<{ _embedded: { users: Array<{ id: number; name: string; email: string; rights: { is_admin: boolean; is_active: boolean } }> } }>(await api('/users'));
    assert.deepEqual(
      body._embedded.users.map((user) => [user.id, user.name, user.rights.is_admin, user.rights.is_active]),
      [
        [acme.account.currentUserId, 'Администратор', true, true],
        [anna, 'Анна Петрова', false, true],
        [gone, 'Олег Сидоров', false, false],
      ],
    );
    assert.ok(body._embedded.users.every((user) => user.email.includes('@')));
    const paged = await expectJson<{ _links: { next?: { href: string } }; _embedded: { users: unknown[] } }>(await api('/users?limit=2'));
    assert.equal(paged._embedded.users.length, 2);
    assert.ok(paged._links.next?.href.includes('page=2'));
    assert.equal((await expectJson<{ name: string }>(await api(`/users/${anna}`))).name, 'Анна Петрова');
  });
});
