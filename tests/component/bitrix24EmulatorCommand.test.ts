/** `longfunnel emulator bitrix24`: the emulator on its own, as a demo or a developer runs it. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cliPath, waitFor } from '../support/processes.js';
import { repoRoot } from '../support/repoRoot.js';

interface Printed {
  url: string;
  oauth_token_url: string;
  portal: { name: string; domain: string; member_id: string; client_endpoint: string };
  app: { client_id: string; client_secret: string; application_token: string; install_url: string };
  tokens: { access_token: string; refresh_token: string; expires_in: number };
  authorization_code: string;
}

test('when the Bitrix24 emulator runs standalone, then its printed keys refresh a token and its REST answers', async () => {
  const child = spawn(process.execPath, [cliPath, 'emulator', 'bitrix24', '--port', '0', '--account', 'acme', '--install-url', 'https://app.example.com/bitrix24/install'], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH ?? '' },
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  try {
    const printed = await waitFor('the emulator to print its details', async () => {
      const line = output.split('\n').find((candidate) => candidate.startsWith('{'));
      return line ? (JSON.parse(line) as Printed) : undefined;
    });
    assert.equal(printed.portal.domain, 'acme.bitrix24.com');
    assert.match(printed.portal.member_id, /^[0-9a-f]{32}$/);
    assert.match(printed.app.client_id, /^local\.[0-9a-f]{14}\.\d{8}$/);
    assert.equal(printed.app.install_url, 'https://app.example.com/bitrix24/install');
    assert.equal(printed.tokens.expires_in, 3600);

    // bitrix24.md 1.6: refresh by POST form, as the JS SDK does.
    const refreshed = await fetch(printed.oauth_token_url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', client_id: printed.app.client_id, client_secret: printed.app.client_secret, refresh_token: printed.tokens.refresh_token }).toString(),
    });
    assert.equal(refreshed.status, 200);
    const tokens = (await refreshed.json()) as { access_token: string; client_endpoint: string };
    assert.equal(tokens.client_endpoint, printed.portal.client_endpoint);

    const exchanged = await fetch(`${printed.oauth_token_url}?grant_type=authorization_code&client_id=${printed.app.client_id}&client_secret=${printed.app.client_secret}&code=${printed.authorization_code}`);
    assert.equal(exchanged.status, 200);

    const deals = await fetch(`${tokens.client_endpoint}crm.deal.list.json?auth=${tokens.access_token}`);
    assert.equal(deals.status, 200);
    assert.deepEqual(((await deals.json()) as { result: unknown[]; total: number }).total, 0);
  } finally {
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
  }
});
