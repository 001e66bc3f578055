import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { prepareBackend, testBackends, type PreparedBackend } from '../support/backends.js';
import { spawnLongfunnel } from '../support/processes.js';
import { startTestRuntime, type TestRuntime } from '../support/testRuntime.js';
import { ADMIN_TOKEN, adminHeaders, createTestSite, newId, pageview, sendHit, type CreatedSite, type StoredVisit } from '../support/tracking.js';

for (const backendName of testBackends()) {
  describe(`collector on ${backendName}`, () => {
    let backend: PreparedBackend;
    let app: TestRuntime;
    let site: CreatedSite;

    before(async () => {
      backend = await prepareBackend(backendName, { ADMIN_TOKEN });
      app = await startTestRuntime(backend.env);
      site = await createTestSite(app.url, { domain: 'shop.example', hosts: ['pay.shop-partner.example'] });
    });

    after(async () => {
      await app?.stop();
      await backend?.cleanup();
    });

    const visitsOf = async (visitor: string): Promise<StoredVisit[]> => {
      const response = await fetch(`${app.url}/api/v1/visitors/${visitor}/visits`, { headers: adminHeaders });
      assert.equal(response.status, 200);
      return ((await response.json()) as { visits: StoredVisit[] }).visits;
    };

    test('when a landing carries UTM tags, then a 204 means the visit is stored with those tags', async () => {
      const visitor = newId();
      const landing = 'https://shop.example/?utm_source=Yandex&utm_medium=CPC&utm_campaign=Spring_Sale&utm_term=buy+sofa&yclid=777';
      const response = await sendHit(app.url, pageview(site.key, { visitor, visit: newId(), url: landing, landing, ym_uid: '1699999999123456789', screen: '1920x1080' }));
      assert.equal(response.status, 204);
      assert.equal(response.headers.get('access-control-allow-origin'), 'https://shop.example');
      const [visit] = await visitsOf(visitor);
      assert.ok(visit);
      assert.equal(visit.source, 'yandex');
      assert.equal(visit.medium, 'cpc');
      assert.equal(visit.campaign, 'Spring_Sale');
      assert.equal(visit.term, 'buy sofa');
      assert.equal(visit.channel, 'Paid Search');
      assert.equal(visit.click_id_type, 'yclid');
      assert.deepEqual(visit.landing_params, {
        utm_source: 'Yandex',
        utm_medium: 'CPC',
        utm_campaign: 'Spring_Sale',
        utm_term: 'buy sofa',
        yclid: '777',
      });
      assert.equal(visit.ym_uid, '1699999999123456789');
      assert.deepEqual(visit.device, { type: 'desktop', browser: 'Chrome', os: 'Linux', screen: '1920x1080' });
      assert.equal(visit.pageviews, 1);
      assert.equal(visit.hits.length, 1);
    });

    test('when later hits of a visit arrive, then they add to it and keep its first source', async () => {
      const visitor = newId();
      const visit = newId();
      const landing = 'https://shop.example/?gclid=abc';
      assert.equal((await sendHit(app.url, pageview(site.key, { visitor, visit, url: landing, landing }))).status, 204);
      assert.equal((await sendHit(app.url, pageview(site.key, { visitor, visit, url: 'https://shop.example/price', landing }))).status, 204);
      const goal = { ...pageview(site.key, { visitor, visit, url: 'https://shop.example/price', landing }), type: 'goal', goal: 'callback', value: 1500 };
      assert.equal((await sendHit(app.url, goal)).status, 204);
      const [stored] = await visitsOf(visitor);
      assert.ok(stored);
      assert.equal(stored.source, 'google');
      assert.equal(stored.channel, 'Paid Search');
      assert.equal(stored.pageviews, 2);
      assert.equal(stored.goals, 1);
      assert.deepEqual(stored.hits.map((hit) => [hit.type, hit.url, hit.goal, hit.value]), [
        ['pageview', 'https://shop.example/?gclid=abc', null, null],
        ['pageview', 'https://shop.example/price', null, null],
        ['goal', 'https://shop.example/price', 'callback', 1500],
      ]);
    });

    test('when the referrer is a Yandex search page, then the visit is Organic Search with its term', async () => {
      const visitor = newId();
      await sendHit(app.url, pageview(site.key, { visitor, visit: newId(), referrer: 'https://yandex.ru/search/?text=%D0%B4%D0%B8%D0%B2%D0%B0%D0%BD&lr=213' }));
      const [visit] = await visitsOf(visitor);
      assert.equal(visit?.source, 'yandex');
      assert.equal(visit?.medium, 'organic');
      assert.equal(visit?.term, 'диван');
      assert.equal(visit?.channel, 'Organic Search');
    });

    test('when the referrer is another host of the site, then the visit is direct, not a referral', async () => {
      const visitor = newId();
      await sendHit(app.url, pageview(site.key, { visitor, visit: newId(), referrer: 'https://pay.shop-partner.example/done' }));
      const [visit] = await visitsOf(visitor);
      assert.equal(visit?.source, '(direct)');
      assert.equal(visit?.channel, 'Direct');
    });

    test('when a landing keeps |, {}, [] and ^ unencoded as browsers do, then the visit is stored', async () => {
      const visitor = newId();
      const landing = 'https://shop.example/catalog?filter[color]=red&utm_source=yandex&utm_medium=cpc&utm_content=cid|111|gid|{ad_id}|x^y';
      assert.equal((await sendHit(app.url, pageview(site.key, { visitor, visit: newId(), url: landing, landing }))).status, 204);
      const [visit] = await visitsOf(visitor);
      assert.equal(visit?.landing_params.utm_content, 'cid|111|gid|{ad_id}|x^y');
    });

    test('when texts hold NUL or half an emoji, then the hit is stored with clean text and its batch is unharmed', async () => {
      const visitor = newId();
      const others = Array.from({ length: 20 }, () => newId());
      const responses = await Promise.all([
        sendHit(app.url, pageview(site.key, { visitor, visit: newId(), title: `${'a'.repeat(10)}\ud83d`, referrer: 'https://x.example/\u0000' })),
        ...others.map((other) => sendHit(app.url, pageview(site.key, { visitor: other, visit: newId() }))),
      ]);
      assert.deepEqual([...new Set(responses.map((response) => response.status))], [204]);
      const [visit] = await visitsOf(visitor);
      assert.equal(visit?.hits[0]?.url, 'https://shop.example/');
      const { rows } = await app.runtime.deps.db.query<{ title: string }>(
        'SELECT h.title FROM hits h JOIN visits v ON v.tenant_id = h.tenant_id AND v.id = h.visit_id WHERE v.visitor_id = $1',
        [visitor],
      );
      assert.deepEqual(rows, [{ title: `${'a'.repeat(10)}\ufffd` }]);
    });

    test("when a hit names another visitor's visit, then it does not join that visit", async () => {
      const owner = newId();
      const visit = newId();
      assert.equal((await sendHit(app.url, pageview(site.key, { visitor: owner, visit }))).status, 204);
      const intruder = newId();
      await sendHit(app.url, { ...pageview(site.key, { visitor: intruder, visit, url: 'https://shop.example/planted' }), type: 'goal', goal: 'fake_order' });
      const [stored] = await visitsOf(owner);
      assert.equal(stored?.hits.length, 1);
      assert.equal(stored?.goals, 0);
      const { rows } = await app.runtime.deps.db.query("SELECT 1 FROM hits WHERE url = 'https://shop.example/planted'");
      assert.equal(rows.length, 0);
    });

    test('when a path holds a broken %-escape, then the answer is 400, not 500', async () => {
      const response = await fetch(`${app.url}/api/v1/visitors/%E0%A4%A/visits`, { headers: adminHeaders });
      assert.equal(response.status, 400);
      assert.equal(((await response.json()) as { error: { code: string } }).error.code, 'bad_request');
    });

    const refused: Array<[string, () => Promise<Response>, number, string]> = [
      ['the body is not JSON', () => sendHit(app.url, '{"v":1,' as unknown as Record<string, unknown>), 400, 'invalid_json'],
      ['a field is unknown', () => sendHit(app.url, pageview(site.key, { visitor: 'bad-visitor-1', colour: 'red' })), 400, 'validation_failed'],
      ['the visitor id is malformed', () => sendHit(app.url, pageview(site.key, { visitor: 'x' })), 400, 'validation_failed'],
      ['a pageview names a goal', () => sendHit(app.url, pageview(site.key, { visitor: 'bad-visitor-2', goal: 'g' })), 400, 'validation_failed'],
      ['the site key is unknown', () => sendHit(app.url, pageview('lf_AAAAAAAAAAAAAAAAAAAAAAAA', { visitor: 'bad-visitor-3' })), 404, 'unknown_site'],
      ['the site key is malformed', () => sendHit(app.url, pageview('lf_\u0000x', { visitor: 'bad-visitor-3' })), 400, 'validation_failed'],
      ['the origin is another site', () => sendHit(app.url, pageview(site.key, { visitor: 'bad-visitor-4' }), { origin: 'https://evil.example' }), 403, 'origin_not_allowed'],
      ['there is no origin at all', () => sendHit(app.url, pageview(site.key, { visitor: 'bad-visitor-5' }), { origin: null }), 403, 'origin_not_allowed'],
      ['the body is form-encoded', () => sendHit(app.url, pageview(site.key, { visitor: 'bad-visitor-1' }), { contentType: 'application/x-www-form-urlencoded' }), 415, 'unsupported_media_type'],
      ['the body is over 16 kB', () => sendHit(app.url, pageview(site.key, { visitor: 'bad-visitor-6', title: 'x'.repeat(17_000) })), 413, 'payload_too_large'],
    ];

    for (const [what, send, status, code] of refused) {
      test(`when ${what}, then the answer is ${status} ${code} and nothing is stored`, async () => {
        const response = await send();
        assert.equal(response.status, status);
        assert.equal(((await response.json()) as { error: { code: string } }).error.code, code);
        for (const visitor of ['bad-visitor-1', 'bad-visitor-2', 'bad-visitor-3', 'bad-visitor-4', 'bad-visitor-5', 'bad-visitor-6']) {
          assert.deepEqual(await visitsOf(visitor), []);
        }
      });
    }

    test('when hits are answered, then they carry a request id and /metrics counts them under /collect', async () => {
      const stored = await fetch(`${app.url}/collect`, {
        method: 'POST',
        headers: {
          'content-type': 'text/plain',
          origin: 'https://shop.example',
          'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36',
          'x-request-id': 'lb-collect-000042',
        },
        body: JSON.stringify(pageview(site.key, { visitor: newId(), visit: newId() })),
      });
      assert.equal(stored.status, 204);
      assert.equal(stored.headers.get('x-request-id'), 'lb-collect-000042');
      assert.equal(stored.headers.get('access-control-allow-origin'), 'https://shop.example');
      const preflight = await fetch(`${app.url}/collect`, { method: 'OPTIONS', headers: { origin: 'https://shop.example' } });
      assert.equal(preflight.status, 204);
      assert.equal(preflight.headers.get('access-control-allow-methods'), 'POST');
      const wrongMethod = await fetch(`${app.url}/collect`);
      assert.equal(wrongMethod.status, 404);
      assert.equal(((await wrongMethod.json()) as { error: { code: string } }).error.code, 'route_not_found');
      const metrics = await (await fetch(`${app.url}/metrics`)).text();
      assert.match(metrics, /longfunnel_http_requests_total\{method="POST",route="\/collect",status="204"\} \d+/);
      assert.match(metrics, /longfunnel_http_requests_total\{method="OPTIONS",route="\/collect",status="204"\} \d+/);
    });

    test('when a bot sends a hit, then it gets a 2xx and nothing is stored', async () => {
      const visitor = newId();
      const response = await sendHit(app.url, pageview(site.key, { visitor }), { userAgent: 'Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)' });
      assert.equal(response.status, 202);
      assert.deepEqual(await visitsOf(visitor), []);
    });

    test('when a hit comes as application/json from a subdomain of the site, then it is stored too', async () => {
      const visitor = newId();
      const response = await sendHit(app.url, pageview(site.key, { visitor }), { contentType: 'application/json', origin: 'https://m.shop.example' });
      assert.equal(response.status, 204);
      assert.equal((await visitsOf(visitor)).length, 1);
    });

    test('when /t.js is asked with gzip, then it comes compressed, cacheable and revalidatable', async () => {
      const response = await fetch(`${app.url}/t.js`, { headers: { 'accept-encoding': 'gzip' } });
      assert.equal(response.status, 200);
      assert.match(response.headers.get('content-type') ?? '', /application\/javascript/);
      assert.equal(response.headers.get('content-encoding'), 'gzip');
      assert.equal(response.headers.get('cache-control'), 'public, max-age=300');
      const etag = response.headers.get('etag');
      assert.ok(etag);
      assert.match(await response.text(), /longfunnel/);
      const again = await fetch(`${app.url}/t.js`, { headers: { 'if-none-match': etag } });
      assert.equal(again.status, 304);
    });

    test('when the visitors API is asked without the admin token, then it answers 401', async () => {
      assert.equal((await fetch(`${app.url}/api/v1/visitors/visitor-0001/visits`)).status, 401);
    });

    test('when a site is created with a bad domain, then the admin API answers 422 and names the field', async () => {
      const response = await fetch(`${app.url}/api/v1/sites`, { method: 'POST', headers: adminHeaders, body: JSON.stringify({ domain: 'not a domain' }) });
      assert.equal(response.status, 422);
      assert.match(((await response.json()) as { error: { message: string } }).error.message, /domain must be a host name/);
    });

    test('when sites are listed, then each comes with its key and ready-to-paste tag', async () => {
      const response = await fetch(`${app.url}/api/v1/sites`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      const { sites } = (await response.json()) as { sites: CreatedSite[] };
      const listed = sites.find((candidate) => candidate.key === site.key);
      assert.ok(listed);
      assert.deepEqual(listed.hosts, ['shop.example', 'www.shop.example', 'pay.shop-partner.example']);
      assert.match(listed.tag, new RegExp(`^<script async src="http://localhost:\\d+/t\\.js" data-site="${site.key}"></script>$`));
    });
  });
}

/**
 * Sends every body as a tracker hit on its own connection, all written in one tick once every
 * connection is open: the server finds them all waiting at once, however busy the machine is
 * (fetch would open the connections one by one and let a slow server take them one at a time).
 */
async function sendAllAtOnce(baseUrl: string, bodies: readonly string[]): Promise<number[]> {
  const { hostname, port } = new URL(baseUrl);
  const sockets = await Promise.all(
    bodies.map(
      () =>
        new Promise<net.Socket>((resolve, reject) => {
          const socket = net.connect(Number(port), hostname, () => resolve(socket));
          socket.once('error', reject);
        }),
    ),
  );
  const answers = sockets.map(
    (socket) =>
      new Promise<number>((resolve, reject) => {
        let text = '';
        socket.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
        socket.once('error', reject);
        socket.once('close', () => resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0)));
      }),
  );
  sockets.forEach((socket, index) => {
    const body = Buffer.from(bodies[index] as string);
    // Not end(): the server closes the connection after answering (Connection: close).
    socket.write(
      `POST /collect HTTP/1.1\r\nHost: ${hostname}:${port}\r\nOrigin: https://shop.example\r\nContent-Type: text/plain;charset=UTF-8\r\n` +
        `User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36\r\n` +
        `Content-Length: ${body.length}\r\nConnection: close\r\n\r\n${body.toString()}`,
    );
  });
  return Promise.all(answers);
}

for (const backendName of testBackends()) {
  describe(`collector group commit on ${backendName}`, () => {
    // The server runs in its own process: a client in the same event loop could not send concurrently.
    test('when many hits arrive at once, then all are stored in fewer transactions than hits', async () => {
      const backend = await prepareBackend(backendName, { ADMIN_TOKEN });
      const server = spawnLongfunnel(['start'], backend.env);
      try {
        const url = await server.started();
        const site = await createTestSite(url);
        const visitor = newId();
        const statuses = await sendAllAtOnce(
          url,
          Array.from({ length: 120 }, (_unused, index) =>
            JSON.stringify(pageview(site.key, { visitor, visit: `burst-${index % 7}-${visitor}`, url: `https://shop.example/p/${index}` })),
          ),
        );
        assert.deepEqual([...new Set(statuses)], [204]);
        const visits = ((await (await fetch(`${url}/api/v1/visitors/${visitor}/visits`, { headers: adminHeaders })).json()) as { visits: StoredVisit[] }).visits;
        assert.equal(visits.length, 7);
        assert.equal(visits.reduce((sum, visit) => sum + visit.pageviews, 0), 120);
        assert.equal(await metricValue(url, 'longfunnel_collect_commit_batch_size_sum'), 120);
        const transactions = await metricValue(url, 'longfunnel_collect_commit_batch_size_count');
        assert.ok(transactions < 120, `${transactions} transactions for 120 hits`);
      } finally {
        server.child.kill('SIGTERM');
        await server.exited();
        await backend.cleanup();
      }
    });
  });
}

describe('collector rate limits', () => {
  test('when one address sends more hits than allowed, then it gets 429 with Retry-After', async () => {
    const backend = await prepareBackend('embedded', { ADMIN_TOKEN, COLLECT_IP_LIMIT_PER_MINUTE: '3' });
    const app = await startTestRuntime(backend.env);
    try {
      const site = await createTestSite(app.url);
      const statuses: number[] = [];
      let last: Response | undefined;
      for (let index = 0; index < 5; index++) {
        last = await sendHit(app.url, pageview(site.key, { visitor: `limited-${index}-visitor` }));
        statuses.push(last.status);
      }
      assert.deepEqual(statuses, [204, 204, 204, 429, 429]);
      assert.ok(Number(last?.headers.get('retry-after')) >= 1);
      assert.equal(((await last!.json()) as { error: { code: string } }).error.code, 'rate_limited');
    } finally {
      await app.stop();
      await backend.cleanup();
    }
  });
});

async function metricValue(baseUrl: string, name: string): Promise<number> {
  const body = await (await fetch(`${baseUrl}/metrics`)).text();
  const match = new RegExp(`^${name} (\\d+(?:\\.\\d+)?)$`, 'm').exec(body);
  return match?.[1] ? Number(match[1]) : 0;
}
