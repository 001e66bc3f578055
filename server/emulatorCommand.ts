/**
 * `longfunnel emulator amocrm|bitrix24 --port N`: a CRM emulator on its own, for demos and for
 * trying an install by hand. It creates one account (portal) with an integration (local app) and
 * prints, as one JSON line, everything needed to connect to it; it runs until SIGINT or SIGTERM.
 */
import { parseArgs } from 'node:util';
import { startAmocrmEmulator } from '../integrations/amocrm/emulator/server.js';
import { startBitrix24Emulator } from '../integrations/bitrix24/emulator/server.js';

export async function runEmulatorCommand(argv: string[]): Promise<void> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      port: { type: 'string', default: '0' },
      account: { type: 'string', default: 'demo' },
      'redirect-uri': { type: 'string' },
      'install-url': { type: 'string', default: 'http://localhost:3000/bitrix24/install' },
    },
  });
  const crm = positionals[0];
  if (crm !== 'amocrm' && crm !== 'bitrix24') {
    process.stderr.write(`longfunnel emulator: unknown CRM ${JSON.stringify(crm ?? '')}; available: amocrm, bitrix24\n`);
    process.exit(2);
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write(`longfunnel emulator: --port must be a whole number 0-65535 (got ${JSON.stringify(values.port)})\n`);
    process.exit(2);
  }
  if (!/^[a-z0-9-]{1,63}$/.test(values.account)) {
    process.stderr.write('longfunnel emulator: --account must be a subdomain: lowercase letters, digits and "-"\n');
    process.exit(2);
  }
  if (crm === 'bitrix24') return runBitrix24(port, values.account, values['install-url'], values['redirect-uri']);
  const emulator = await startAmocrmEmulator({ port });
  const redirectUri = values['redirect-uri'] ?? 'http://localhost:3000/oauth/amocrm/callback';
  const { account, integration, baseUrl } = emulator.setupAccount({ subdomain: values.account, redirectUri });
  const code = emulator.issueAuthorizationCode(account.subdomain, integration.clientId);
  process.stdout.write(
    `${JSON.stringify({
      emulator: 'amocrm',
      url: emulator.url,
      account: { subdomain: account.subdomain, id: account.id, base_url: baseUrl },
      integration: { client_id: integration.clientId, client_secret: integration.clientSecret, redirect_uri: integration.redirectUri },
      authorization_code: code,
      install_redirect: `${integration.redirectUri}?code=${encodeURIComponent(code)}&referer=${account.subdomain}.amocrm.ru&from_widget=1`,
    })}\n`,
  );
  stopOnSignal(emulator);
}

function stopOnSignal(emulator: { close(): Promise<void> }): void {
  const stop = () => {
    void emulator.close().finally(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

/**
 * One portal (`--account` is its name) with an API-only local app whose install handler is
 * `--install-url`; prints the app's keys, a token pair and an authorization code. The install
 * itself is left to the operator (the handler may not be running yet).
 */
async function runBitrix24(port: number, portalName: string, installUrl: string, redirectUri: string | undefined): Promise<void> {
  const emulator = await startBitrix24Emulator({ port });
  const { portal, baseUrl, restUrl } = emulator.setupPortal({ name: portalName });
  const app = emulator.createApp(portal.name, { installUrl, redirectUri: redirectUri ?? installUrl, withUi: false });
  const tokens = emulator.issueTokens(portal.name, app.clientId);
  process.stdout.write(
    `${JSON.stringify({
      emulator: 'bitrix24',
      url: emulator.url,
      oauth_token_url: `${emulator.url}/oauth/token/`,
      portal: { name: portal.name, domain: portal.domain, member_id: portal.memberId, base_url: baseUrl, client_endpoint: restUrl },
      app: { client_id: app.clientId, client_secret: app.clientSecret, application_token: app.applicationToken, install_url: app.installUrl },
      tokens,
      authorization_code: emulator.issueAuthorizationCode(portal.name, app.clientId),
    })}\n`,
  );
  stopOnSignal(emulator);
}
