import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import zlib from 'node:zlib';
import { readTextBody } from '../../../server/http/textBody.js';

/** Sends one request to a server that reads its body with readTextBody; returns the text or the error type. */
async function read(headers: Record<string, string>, body: Buffer | string, limit = 64): Promise<string | undefined> {
  const server = http.createServer((req, res) => {
    readTextBody(req, { types: ['text/plain', 'application/json'], limit }).then(
      (text) => res.end(JSON.stringify({ text: text ?? null })),
      (error: { type: string; status: number }) => res.end(JSON.stringify({ error: `${error.status} ${error.type}` })),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = server.address() as AddressInfo;
    const response = await fetch(`http://127.0.0.1:${port}/`, { method: 'POST', headers, body });
    const answer = (await response.json()) as { text?: string | null; error?: string };
    return answer.error ?? answer.text ?? undefined;
  } finally {
    server.close();
  }
}

test('when the body is text/plain with a charset, then it is decoded by that charset', async () => {
  assert.equal(await read({ 'content-type': 'text/plain;charset=UTF-8' }, '{"a":"диван"}'), '{"a":"диван"}');
  const cp1251 = Buffer.from([0xe4, 0xe8, 0xe2, 0xe0, 0xed]);
  assert.equal(await read({ 'content-type': 'text/plain; charset=windows-1251' }, cp1251), 'диван');
});

test('when the body is gzip-compressed, then it is inflated and the limit applies to the inflated bytes', async () => {
  assert.equal(await read({ 'content-type': 'application/json', 'content-encoding': 'gzip' }, zlib.gzipSync('{"a":1}')), '{"a":1}');
  assert.equal(await read({ 'content-type': 'application/json', 'content-encoding': 'gzip' }, zlib.gzipSync('x'.repeat(1000))), '413 entity.too.large');
});

test('when the body is refused, then the error carries the type body-parser would give it', async () => {
  assert.equal(await read({ 'content-type': 'text/plain' }, 'x'.repeat(100)), '413 entity.too.large');
  assert.equal(await read({ 'content-type': 'text/plain; charset=no-such-charset' }, 'x'), '415 charset.unsupported');
  assert.equal(await read({ 'content-type': 'text/plain', 'content-encoding': 'compress' }, 'x'), '415 encoding.unsupported');
});

test('when the body is empty, then it is the empty text, which a JSON route then refuses as invalid JSON', async () => {
  assert.equal(await read({ 'content-type': 'text/plain' }, ''), '');
});

test('when the media type is not accepted, then the body is left unread', async () => {
  assert.equal(await read({ 'content-type': 'application/x-www-form-urlencoded' }, 'a=1'), undefined);
});
