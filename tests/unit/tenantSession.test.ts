/** Tenant sessions: what the CRM-opened pages carry to our API, and what is refused. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { SignJWT } from 'jose';
import { AppError } from '../../server/errors.js';
import { issueTenantSession, requireTenantAccess, sessionOf, verifyTenantSession } from '../../server/security/tenantSession.js';
import { TokenCipher } from '../../server/security/tokenCipher.js';

const cipher = new TokenCipher(randomBytes(32));
const otherDeployment = new TokenCipher(randomBytes(32));

async function rejection(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof AppError, `expected an AppError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected a rejection');
}

describe('tenant sessions', () => {
  test('when a session is issued, then verifying it gives back the tenant, user, origin and locale', async () => {
    const token = await issueTenantSession(cipher, { tenantId: 't1', userId: '42', origin: 'amocrm', locale: 'en' });
    assert.deepEqual(await verifyTenantSession(cipher, token), { tenantId: 't1', userId: '42', origin: 'amocrm', locale: 'en' });
  });

  test('when a session was signed by another deployment or altered, then it is refused with 401', async () => {
    const foreign = await issueTenantSession(otherDeployment, { tenantId: 't1', origin: 'bitrix24' });
    assert.equal((await rejection(verifyTenantSession(cipher, foreign))).status, 401);
    const token = await issueTenantSession(cipher, { tenantId: 't1', origin: 'bitrix24' });
    const [header, , signature] = token.split('.');
    const forgedPayload = Buffer.from(JSON.stringify({ tenant: 't2', origin: 'bitrix24', iss: 'longfunnel', aud: 'longfunnel:tenant-session', exp: 9999999999 })).toString('base64url');
    assert.equal((await rejection(verifyTenantSession(cipher, `${header}.${forgedPayload}.${signature}`))).status, 401);
  });

  test('when a session has expired, then the refusal says so', async () => {
    const expired = await new SignJWT({ tenant: 't1', origin: 'amocrm' })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer('longfunnel')
      .setAudience('longfunnel:tenant-session')
      .setExpirationTime(Math.floor(Date.now() / 1000) - 60)
      .sign(cipher.deriveKey('tenant-session'));
    const error = await rejection(verifyTenantSession(cipher, expired));
    assert.equal(error.status, 401);
    assert.match(error.message, /expired/);
  });

  test('when a token signed with the same key is meant for something else, then it is refused', async () => {
    const otherAudience = await new SignJWT({ tenant: 't1', origin: 'amocrm' }).setProtectedHeader({ alg: 'HS256' }).setIssuer('longfunnel').setAudience('longfunnel:install-state').setExpirationTime('1h').sign(cipher.deriveKey('tenant-session'));
    assert.equal((await rejection(verifyTenantSession(cipher, otherAudience))).status, 401);
  });
});

describe('requireTenantAccess', () => {
  async function withApp(run: (url: string) => Promise<void>): Promise<void> {
    const app = express();
    app.get('/who', requireTenantAccess(cipher, 'admin-secret'), (_req, res) => void res.json(sessionOf(res)));
    app.use((error: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
      const status = error instanceof AppError ? error.status : 500;
      res.status(status).json({ message: error instanceof Error ? error.message : String(error) });
    });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    try {
      await run(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    } finally {
      server.close();
    }
  }

  test('when a request carries a session, the admin token with a tenant, or nothing, then it gets the tenant, the tenant, or 401', async () => {
    await withApp(async (url) => {
      const token = await issueTenantSession(cipher, { tenantId: 't7', origin: 'bitrix24' });
      const bySession = await fetch(`${url}/who`, { headers: { authorization: `Bearer ${token}` } });
      assert.equal(bySession.status, 200);
      assert.deepEqual(await bySession.json(), { tenantId: 't7', origin: 'bitrix24' });

      const byAdmin = await fetch(`${url}/who?tenant_id=t9`, { headers: { authorization: 'Bearer admin-secret' } });
      assert.deepEqual(await byAdmin.json(), { tenantId: 't9', origin: 'admin' });

      assert.equal((await fetch(`${url}/who`, { headers: { authorization: 'Bearer admin-secret' } })).status, 422);
      assert.equal((await fetch(`${url}/who`)).status, 401);
      assert.equal((await fetch(`${url}/who`, { headers: { authorization: 'Bearer admin-secretX' } })).status, 401);
    });
  });
});
