/**
 * `longfunnel emulator amocrm --port N`: the amoCRM emulator on its own, for demos and for trying
 * an install by hand. It creates one account with an installed integration and prints, as one JSON
 * line, everything needed to connect to it; it runs until SIGINT or SIGTERM.
 */
import { parseArgs } from 'node:util';
import { startAmocrmEmulator } from '../integrations/amocrm/emulator/server.js';

export async function runEmulatorCommand(argv: string[]): Promise<void> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      port: { type: 'string', default: '0' },
      account: { type: 'string', default: 'demo' },
      'redirect-uri': { type: 'string', default: 'http://localhost:3000/oauth/amocrm/callback' },
    },
  });
  const crm = positionals[0];
  if (crm !== 'amocrm') {
    process.stderr.write(`longfunnel emulator: unknown CRM ${JSON.stringify(crm ?? '')}; available: amocrm\n`);
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
  const emulator = await startAmocrmEmulator({ port });
  const { account, integration, baseUrl } = emulator.setupAccount({ subdomain: values.account, redirectUri: values['redirect-uri'] });
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
  const stop = () => {
    void emulator.close().finally(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
