import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createAccount } from '../../../integrations/amocrm/emulator/accounts.js';
import { systemClock } from '../../../integrations/amocrm/emulator/clock.js';
import { EmulatorState } from '../../../integrations/amocrm/emulator/state.js';
import { ConfigError, loadConfig } from '../../../server/config.js';
import { startRunsDemo } from '../../../server/demo/demoCommand.js';
import { restoreInto, snapshotOf } from '../../../server/demo/emulatorSnapshot.js';

test('when no CRM is configured, then start runs the demo; a CRM or DEMO=off makes it the plain server', () => {
  assert.equal(startRunsDemo(loadConfig({})), true);
  assert.equal(startRunsDemo(loadConfig({ DEMO: 'auto' })), true);
  assert.equal(startRunsDemo(loadConfig({ DEMO: 'off' })), false);
  assert.equal(startRunsDemo(loadConfig({ DEMO: 'OFF' })), false);
  assert.equal(startRunsDemo(loadConfig({ AMOCRM_CLIENT_ID: 'id', AMOCRM_CLIENT_SECRET: 'secret' })), false);
  assert.equal(startRunsDemo(loadConfig({ BITRIX24_CLIENT_ID: 'id', BITRIX24_CLIENT_SECRET: 'secret' })), false);
});

test('when DEMO or the demo settings are wrong, then the configuration names them', () => {
  assert.throws(() => loadConfig({ DEMO: 'on' }), (error: unknown) => error instanceof ConfigError && /"DEMO" must be one of \[auto, off\]/.test(error.message));
  assert.throws(() => loadConfig({ DEMO_HISTORY_DAYS: '0' }), (error: unknown) => error instanceof ConfigError && /"DEMO_HISTORY_DAYS"/.test(error.message));
  assert.throws(() => loadConfig({ DEMO_SITE_PORT: '70000' }), (error: unknown) => error instanceof ConfigError && /"DEMO_SITE_PORT"/.test(error.message));
  assert.deepEqual({ ...loadConfig({}).demo }, { mode: 'auto', historyDays: 60, sitePort: undefined });
});

test("when an emulator's state is saved and put back into a fresh one, then its records, sequences and sets come back", () => {
  const state = new EmulatorState();
  const account = createAccount(state, systemClock, { subdomain: 'okna-demo' });
  state.duplicateControl.add('1:client');
  const fresh = new EmulatorState();
  const leadsMap = fresh.leads;
  restoreInto(fresh, snapshotOf(state));
  assert.equal(fresh.leads, leadsMap, 'the maps the emulator holds are filled in place');
  assert.deepEqual(fresh.accountBySubdomain('okna-demo'), account);
  assert.deepEqual([...fresh.pipelines.values()], [...state.pipelines.values()]);
  assert.deepEqual([...fresh.duplicateControl], ['1:client']);
  // The id sequences continue where they were: the next account does not reuse an id.
  assert.equal(fresh.nextId('account'), state.nextId('account'));
});
