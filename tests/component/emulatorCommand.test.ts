/** `longfunnel emulator amocrm`: the emulator on its own, as a demo or a developer runs it. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cliPath, waitFor } from '../support/processes.js';
import { repoRoot } from '../support/repoRoot.js';

interface Printed {
  url: string;
  account: { subdomain: string; base_url: string };
  integration: { client_id: string; client_secret: string; redirect_uri: string };
  authorization_code: string;
  install_redirect: string;
}

test('when the amoCRM emulator runs standalone, then its printed code installs and its API answers', async () => {
  const child = spawn(process.execPath, [cliPath, 'emulator', 'amocrm', '--port', '0', '--account', 'acme'], {
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
    assert.equal(printed.account.subdomain, 'acme');
    assert.match(printed.install_redirect, /^http:\/\/localhost:3000\/oauth\/amocrm\/callback\?code=.+&referer=acme\.amocrm\.ru/);

    const tokenResponse = await fetch(`${printed.account.base_url}/oauth2/access_token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        client_id: printed.integration.client_id,
        client_secret: printed.integration.client_secret,
        grant_type: 'authorization_code',
        code: printed.authorization_code,
        redirect_uri: printed.integration.redirect_uri,
      }),
    });
    assert.equal(tokenResponse.status, 200);
    const tokens = (await tokenResponse.json()) as { access_token: string; token_type: string };
    assert.equal(tokens.token_type, 'Bearer');

    const account = await fetch(`${printed.account.base_url}/api/v4/account`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    assert.equal(account.status, 200);
    assert.equal(((await account.json()) as { subdomain: string }).subdomain, 'acme');
  } finally {
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
  }
});

test('when the CRM is unknown, then the emulator command exits 2 naming what exists', async () => {
  const child = spawn(process.execPath, [cliPath, 'emulator', 'salesforce'], { cwd: repoRoot, env: { PATH: process.env.PATH ?? '' } });
  let errors = '';
  child.stderr.on('data', (chunk: Buffer) => (errors += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', (exitCode) => resolve(exitCode)));
  assert.equal(code, 2);
  assert.match(errors, /unknown CRM "salesforce"; available: amocrm/);
});
