/** `longfunnel site add` and `longfunnel classify`, as an operator and a support engineer run them. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { prepareBackend, type PreparedBackend } from '../support/backends.js';
import { cliPath, spawnLongfunnel } from '../support/processes.js';
import { repoRoot } from '../support/repoRoot.js';

function classify(input: string): Promise<{ code: number | null; lines: string[] }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cliPath, 'classify'], { cwd: repoRoot, env: { PATH: process.env.PATH ?? '' } });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('exit', (code) => resolve({ code, lines: output.trim().split('\n') }));
    child.stdin.end(input);
  });
}

describe('longfunnel classify', () => {
  test('when JSON lines come in, then one traffic source per line comes out, in order', async () => {
    const { code, lines } = await classify(
      [
        JSON.stringify({ url: 'https://shop.example/?gclid=abc', referrer: null, site_hosts: ['shop.example'] }),
        JSON.stringify({ url: 'https://shop.example/', referrer: 'https://www.google.com/', site_hosts: ['shop.example'] }),
        JSON.stringify({ url: 'https://shop.example/', referrer: 'https://shop.example/cart', site_hosts: ['shop.example'] }),
      ].join('\n'),
    );
    assert.equal(code, 0);
    assert.deepEqual(lines.map((line) => JSON.parse(line)), [
      { source: 'google', medium: 'cpc', campaign: null, content: null, term: null, channel: 'Paid Search', click_id_type: 'gclid' },
      { source: 'google', medium: 'organic', campaign: null, content: null, term: null, channel: 'Organic Search', click_id_type: null },
      { source: '(direct)', medium: '(none)', campaign: null, content: null, term: null, channel: 'Direct', click_id_type: null },
    ]);
  });

  test('when a line is not a JSON object, then it answers an error line and exits 1, keeping the others', async () => {
    const { code, lines } = await classify(`not json\n${JSON.stringify({ url: 'https://a.example/?utm_source=vk&utm_medium=social' })}\n`);
    assert.equal(code, 1);
    assert.match(JSON.parse(lines[0] ?? '{}').error, /not a JSON object/);
    assert.equal(JSON.parse(lines[1] ?? '{}').source, 'vk');
  });
});

describe('longfunnel site add', () => {
  let backend: PreparedBackend;

  before(async () => {
    backend = await prepareBackend('embedded');
  });

  after(async () => {
    await backend?.cleanup();
  });

  test('when a domain is given, then the new site is printed as JSON with its key and tag', async () => {
    const proc = spawnLongfunnel(['site', 'add', '--domain', 'Shop.Example', '--cookie-domain', 'shop.example'], { ...backend.env, LOG_LEVEL: 'warn', PUBLIC_URL: 'https://lf.example.com' });
    assert.equal((await proc.exited()).code, 0);
    const site = JSON.parse(proc.output().trim()) as Record<string, unknown>;
    assert.equal(site.domain, 'shop.example');
    assert.deepEqual(site.hosts, ['shop.example', 'www.shop.example']);
    assert.match(String(site.key), /^lf_[A-Za-z0-9]{24}$/);
    assert.equal(site.tag, `<script async src="https://lf.example.com/t.js" data-site="${String(site.key)}" data-cookie-domain="shop.example"></script>`);
  });

  test('when the tenant does not exist, then it exits 1 and says so', async () => {
    const proc = spawnLongfunnel(['site', 'add', '--domain', 'a.example', '--tenant', 'nope'], { ...backend.env, LOG_LEVEL: 'warn' });
    assert.equal((await proc.exited()).code, 1);
    assert.match(proc.output(), /No tenant "nope"/);
  });

  test('when the embedded database is held by a running server, then it points to the admin API', async () => {
    const server = spawnLongfunnel(['start'], backend.env);
    await server.started();
    try {
      const proc = spawnLongfunnel(['site', 'add', '--domain', 'b.example'], backend.env);
      assert.equal((await proc.exited()).code, 1);
      assert.match(proc.output(), /use POST \/api\/v1\/sites with the admin token/);
    } finally {
      server.child.kill('SIGTERM');
      await server.exited();
    }
  });
});
