import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { prepareBackend, testBackends, testRedisUrl, type PreparedBackend } from '../support/backends.js';
import { startTcpProxy } from '../support/tcpProxy.js';
import { waitFor } from '../support/processes.js';
import { startTestRuntime, type TestRuntime } from '../support/testRuntime.js';

interface ErrorResponse {
  error: { code: string; message: string };
}

for (const backendName of testBackends()) {
  describe(`HTTP basics on ${backendName}`, () => {
    let backend: PreparedBackend;
    let app: TestRuntime;

    before(async () => {
      backend = await prepareBackend(backendName);
      app = await startTestRuntime(backend.env);
    });

    after(async () => {
      await app?.stop();
      await backend?.cleanup();
    });

    test('when /healthz is asked, then it answers 200', async () => {
      const response = await fetch(`${app.url}/healthz`);
      assert.equal(response.status, 200);
      assert.deepEqual(await response.json(), { status: 'ok' });
    });

    test('when database and queue answer, then /readyz is 200 and names both backends', async () => {
      const response = await fetch(`${app.url}/readyz`);
      assert.equal(response.status, 200);
      const body = (await response.json()) as { status: string; checks: Record<string, { ok: boolean; backend: string }> };
      assert.equal(body.status, 'ready');
      assert.deepEqual(body.checks, {
        database: { ok: true, backend: backendName === 'embedded' ? 'pglite' : 'postgres' },
        queue: { ok: true, backend: backendName === 'embedded' ? 'database' : 'redis' },
      });
    });

    test('when a route does not exist, then the answer is 404 in the error shape', async () => {
      const response = await fetch(`${app.url}/no/such/route`);
      assert.equal(response.status, 404);
      assert.match(response.headers.get('content-type') ?? '', /application\/json/);
      assert.deepEqual(await response.json(), { error: { code: 'route_not_found', message: 'No route for GET /no/such/route' } });
    });

    test('when a body is not valid JSON, then the answer is 400 invalid_json, not 500', async () => {
      const response = await fetch(`${app.url}/test/jobs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"data": {',
      });
      assert.equal(response.status, 400);
      assert.equal(((await response.json()) as ErrorResponse).error.code, 'invalid_json');
    });

    test('when a body is over the limit, then the answer is 413 in the error shape', async () => {
      const response = await fetch(`${app.url}/test/jobs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ data: 'x'.repeat(300 * 1024) }),
      });
      assert.equal(response.status, 413);
      assert.equal(((await response.json()) as ErrorResponse).error.code, 'payload_too_large');
    });

    test('when a request comes with a sane X-Request-Id, then it is echoed in the response', async () => {
      const response = await fetch(`${app.url}/no/such/route`, { headers: { 'x-request-id': 'lb-request-000123' } });
      assert.equal(response.headers.get('x-request-id'), 'lb-request-000123');
      const generated = await fetch(`${app.url}/healthz`, { headers: { 'x-request-id': 'bad id with spaces' } });
      assert.match(generated.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
    });

    test('when requests were served, then /metrics counts them by route pattern and status', async () => {
      await fetch(`${app.url}/healthz`);
      const response = await fetch(`${app.url}/metrics`);
      assert.equal(response.status, 200);
      const body = await response.text();
      assert.match(body, /longfunnel_http_requests_total\{method="GET",route="\/healthz",status="200"\} \d+/);
      assert.match(body, /longfunnel_http_requests_total\{method="GET",route="unmatched",status="404"\} \d+/);
      assert.match(body, /longfunnel_http_request_duration_seconds_bucket\{le="0.005",method="GET",route="\/healthz"\} \d+/);
      assert.match(body, /# TYPE longfunnel_crm_requests_total counter/);
    });
  });
}

describe('readiness when Redis goes away', () => {
  test('when Redis stops answering, then /readyz turns 503 naming the queue, and recovers when it is back', async () => {
    const backend = await prepareBackend('postgres+redis');
    const redis = new URL(testRedisUrl);
    const proxy = await startTcpProxy(redis.hostname, Number(redis.port || 6379));
    const app = await startTestRuntime({ ...backend.env, REDIS_URL: proxy.url('redis') });
    try {
      assert.equal((await fetch(`${app.url}/readyz`)).status, 200);
      await proxy.cut();
      const body = await waitFor('readyz to report the outage', async () => {
        const response = await fetch(`${app.url}/readyz`);
        return response.status === 503 && ((await response.json()) as Record<string, any>);
      });
      assert.equal(body.status, 'not_ready');
      assert.equal(body.checks.database.ok, true);
      assert.equal(body.checks.queue.ok, false);
      assert.equal(body.checks.queue.backend, 'redis');
      assert.equal(body.error.code, 'not_ready');
      assert.match(body.error.message, /^Not ready: queue \(redis\): /);
      assert.equal((await fetch(`${app.url}/healthz`)).status, 200, 'the process itself is alive');
      assert.ok(app.logs.some((line) => line.includes('Redis is unreachable')), 'the outage is logged');

      await proxy.restore();
      await waitFor('readyz to recover', async () => (await fetch(`${app.url}/readyz`)).status === 200);
      assert.ok(app.logs.some((line) => line.includes('Redis is reachable again')), 'the recovery is logged');
    } finally {
      await app.stop();
      await proxy.close();
      await backend.cleanup();
    }
  });

  test('when REDIS_URL points where nothing listens, then the app starts and /readyz is 503', async () => {
    const backend = await prepareBackend('postgres+redis');
    const proxy = await startTcpProxy('127.0.0.1', 1);
    await proxy.cut();
    const app = await startTestRuntime({ ...backend.env, REDIS_URL: proxy.url('redis'), SHUTDOWN_TIMEOUT_MS: '500' });
    try {
      const response = await fetch(`${app.url}/readyz`);
      assert.equal(response.status, 503);
      const body = (await response.json()) as Record<string, any>;
      assert.equal(body.checks.queue.ok, false);
      assert.equal(body.checks.database.ok, true);
    } finally {
      await app.stop();
      await backend.cleanup();
    }
  });
});
