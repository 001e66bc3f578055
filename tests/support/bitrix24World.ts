/**
 * A Bitrix24 portal in the emulator and LongFunnel installed into it through the real install
 * flow (the local app's install page, then `BX24.installFinish()`): what the Bitrix24 integration
 * tests start from.
 */
import type { ManualClock } from '../../integrations/amocrm/emulator/clock.js';
import type { Bitrix24EmulatorOptionOverrides } from '../../integrations/bitrix24/emulator/options.js';
import type { NewPortal } from '../../integrations/bitrix24/emulator/portals.js';
import { startBitrix24Emulator, type Bitrix24Emulator, type EmulatedPortal } from '../../integrations/bitrix24/emulator/server.js';
import type { App, CrmRecord } from '../../integrations/bitrix24/emulator/state.js';
import { freePort, shiftableClock } from './amocrmWorld.js';
import { prepareBackend, type BackendName, type PreparedBackend } from './backends.js';
import { startProcessWorld, waitFor, type RunningProcess } from './processes.js';
import { startTestRuntime, type TestRuntime } from './testRuntime.js';
import { ADMIN_TOKEN } from './tracking.js';

export interface Bitrix24World {
  backend: PreparedBackend;
  emulator: Bitrix24Emulator;
  clock: ManualClock;
  portal: EmulatedPortal;
  app: App;
  lf: TestRuntime;
  env: Record<string, string>;
  name: string;
  stop(): Promise<void>;
}

export interface Bitrix24WorldOptions {
  emulator?: Bitrix24EmulatorOptionOverrides;
  portal?: Omit<NewPortal, 'name'>;
  env?: Record<string, string>;
}

async function emulatedPortalAndBackend(backendName: BackendName, options: Bitrix24WorldOptions): Promise<Omit<Bitrix24World, 'lf' | 'stop'>> {
  const clock = shiftableClock();
  const emulator = await startBitrix24Emulator({ clock, ...options.emulator });
  const name = 'acme';
  // The portal's host is the emulator's, as a real portal's REST address is on its own domain.
  const portal = emulator.setupPortal({ name, domain: new URL(emulator.url).host, ...options.portal });
  const port = await freePort();
  const publicUrl = `http://127.0.0.1:${port}`;
  const app = emulator.createApp(name, { installUrl: `${publicUrl}/bitrix24/install`, scopes: ['crm', 'placement', 'user_brief'] });
  const backend = await prepareBackend(backendName, {
    ADMIN_TOKEN,
    PORT: String(port),
    PUBLIC_URL: publicUrl,
    BITRIX24_CLIENT_ID: app.clientId,
    BITRIX24_CLIENT_SECRET: app.clientSecret,
    BITRIX24_OAUTH_URL: emulator.url,
    ENRICHMENT_DELAY_MS: '100',
    ...options.env,
  });
  return { backend, emulator, clock, portal, app, env: backend.env, name };
}

export async function startBitrix24World(backendName: BackendName, options: Bitrix24WorldOptions = {}): Promise<Bitrix24World> {
  const parts = await emulatedPortalAndBackend(backendName, options);
  const lf = await startTestRuntime(parts.env);
  return {
    ...parts,
    lf,
    async stop() {
      await lf.stop();
      await parts.emulator.close();
      await parts.backend.cleanup();
    },
  };
}

/**
 * The same, with LongFunnel as its own process, as operators run it: its event loop does not delay
 * the emulator's, so the emulator's leaky bucket sees requests when they arrive. For load tests.
 */
export interface Bitrix24ProcessWorld extends Omit<Bitrix24World, 'lf'> {
  url: string;
  process: RunningProcess;
}

export async function startBitrix24ProcessWorld(backendName: BackendName, options: Bitrix24WorldOptions & { role?: 'start' | 'server' } = {}): Promise<Bitrix24ProcessWorld> {
  return startProcessWorld(await emulatedPortalAndBackend(backendName, options), options.role);
}

/** The install page and `BX24.installFinish()`, then waits for "history import finished" in `logs` (the world's own process by default). */
export async function installProcessWorld(world: Bitrix24ProcessWorld, logs: () => string = () => world.process.output()): Promise<{ tenantId: string }> {
  const answer = await world.emulator.installApp(world.name, world.app.clientId);
  if (answer.status !== 200) throw new Error(`install answered ${answer.status}: ${answer.text}`);
  world.emulator.finishInstall(world.name, world.app.clientId);
  await waitFor('the install set-up', async () => logs().includes('history import finished'), 60_000);
  return { tenantId: `bitrix24-${world.portal.portal.memberId}` };
}

/** Installs as an admin does: the install page, `BX24.installFinish()`, then waits for the set-up job. */
export async function installFromPortal(world: Bitrix24World): Promise<{ tenantId: string; page: string }> {
  const answer = await world.emulator.installApp(world.name, world.app.clientId);
  if (answer.status !== 200) throw new Error(`install answered ${answer.status}: ${answer.text}`);
  world.emulator.finishInstall(world.name, world.app.clientId);
  const { rows } = await world.lf.runtime.deps.db.query<{ tenant_id: string }>("SELECT tenant_id FROM crm_accounts WHERE crm = 'bitrix24' AND account_id = $1", [
    world.portal.portal.memberId,
  ]);
  const tenantId = rows[0]?.tenant_id;
  if (!tenantId) throw new Error('install stored no account');
  await waitFor(
    'the install set-up (bindings, fields, stages, history import)',
    async () => {
      const setup = await world.lf.runtime.deps.db.query<{ done: boolean }>("SELECT setup ? 'historyImportedAt' AS done FROM crm_accounts WHERE tenant_id = $1", [tenantId]);
      return setup.rows[0]?.done === true;
    },
    30_000,
  );
  return { tenantId, page: answer.text };
}

export function dealOf(world: Bitrix24World, id: number): CrmRecord {
  const record = world.emulator.state.record('deal', id);
  if (!record) throw new Error(`no deal ${id}`);
  return record;
}

export function leadOf(world: Bitrix24World, id: number): CrmRecord {
  const record = world.emulator.state.record('lead', id);
  if (!record) throw new Error(`no lead ${id}`);
  return record;
}

export function commentsOf(world: Bitrix24World, entityType: 'deal' | 'lead', id: number) {
  return world.emulator.state.commentsOf(world.portal.portal.id, entityType, id);
}

/** Rows of crm_inbox not yet processed, and deals still waiting for enrichment. */
export async function workLeft(world: Bitrix24World, tenantId: string): Promise<number> {
  const db = world.lf.runtime.deps.db;
  const inbox = await db.query<{ count: string }>('SELECT count(*) AS count FROM crm_inbox WHERE tenant_id = $1 AND processed_at IS NULL', [tenantId]);
  const pending = await db.query<{ count: string }>('SELECT count(*) AS count FROM enrichment_pending WHERE tenant_id = $1', [tenantId]);
  return Number(inbox.rows[0]?.count) + Number(pending.rows[0]?.count);
}

/** Waits until the portal has sent every event and LongFunnel has processed them all. */
export async function settled(world: Bitrix24World, tenantId: string, timeoutMs = 30_000): Promise<void> {
  await waitFor(
    'events delivered and processed',
    async () => {
      await world.emulator.events.settle();
      if ((await workLeft(world, tenantId)) > 0) return false;
      await new Promise((resolve) => setTimeout(resolve, 300));
      await world.emulator.events.settle();
      return (await workLeft(world, tenantId)) === 0;
    },
    timeoutMs,
  );
}
