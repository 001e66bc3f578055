/**
 * The collector against a bare `node:http` server answering 204, both driven by autocannon over
 * loopback with the same requests, connections, warm-up and duration. The collector runs as `longfunnel start` on
 * PostgreSQL (a fresh database), with realistic tracker payloads: many visitors and visits, UTM,
 * click-id and referrer landings, page views and goals. Then the collector again at half its peak
 * rate, paced evenly (pacedLoad.ts), for the latency a site sees under normal load.
 */
import { spawn } from 'node:child_process';
import autocannon from 'autocannon';
import { prepareBackend } from '../tests/support/backends.js';
import { spawnLongfunnel } from '../tests/support/processes.js';
import { ADMIN_TOKEN, createTestSite } from '../tests/support/tracking.js';
import { countCpu, type CpuPerRequest, type CpuSides } from './cpuTime.js';
import { pacedLoad } from './pacedLoad.js';

const DURATION_SECONDS = Number(process.env.BENCH_DURATION_SECONDS ?? 8);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 2);

const landings = [
  'https://shop.example/?utm_source=yandex&utm_medium=cpc&utm_campaign=sofas_msk&utm_term=%D0%B4%D0%B8%D0%B2%D0%B0%D0%BD&yclid=8123412341',
  'https://shop.example/catalog?gclid=Cj0KCQiA-bench',
  'https://shop.example/?utm_source=vk&utm_medium=social&utm_campaign=autumn',
  'https://shop.example/',
  'https://shop.example/sale?_openstat=ZGlyZWN0LnlhbmRleC5ydTs0MjszMjE7eWFuZGV4LnJ1OnByZW1pdW0',
];
const referrers = ['https://yandex.ru/search/?text=%D0%B4%D0%B8%D0%B2%D0%B0%D0%BD', 'https://www.google.com/', '', 'https://t.me/', ''];
const pages = ['https://shop.example/', 'https://shop.example/catalog/sofas', 'https://shop.example/price', 'https://shop.example/contacts'];

function payloadFactory(siteKey: string): () => string {
  let sequence = 0;
  return () => {
    sequence++;
    const visitor = sequence % 5000;
    const pick = visitor % landings.length;
    const goal = sequence % 10 === 0;
    return JSON.stringify({
      v: 1,
      site: siteKey,
      type: goal ? 'goal' : 'pageview',
      visitor: `bench-visitor-${visitor}`,
      visit: `bench-visit-${visitor}-${Math.floor(sequence / 20000)}`,
      url: pages[sequence % pages.length],
      title: 'Диваны и кресла — каталог',
      landing: landings[pick],
      referrer: referrers[pick],
      ...(goal ? { goal: 'callback_form', value: 1500 } : {}),
      ym_uid: '1699999999123456789',
      screen: '1920x1080',
      ts: Date.now(),
    });
  };
}

interface Measured {
  requestsPerSecond: number;
  p99Ms: number;
  non2xx: number;
  errors: number;
  cpu: CpuPerRequest | undefined;
}

const headers = {
  'content-type': 'text/plain;charset=UTF-8',
  origin: 'https://shop.example',
  'user-agent': 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36',
};

/**
 * Closed loop at full speed: CONNECTIONS clients, each sending its next request when answered. A
 * warm-up run of the same load comes first and is not counted, for both sides alike: JIT, connection
 * pools and caches are then warm in both, as in a server that has been up for a while.
 */
async function drive(url: string, body: () => string, sides: CpuSides): Promise<Measured> {
  if (WARMUP_SECONDS > 0) await load(url, body, WARMUP_SECONDS);
  const cpuSince = await countCpu(sides);
  const measured = await load(url, body, DURATION_SECONDS);
  return { ...measured, cpu: await cpuSince(measured.requests) };
}

async function load(url: string, body: () => string, seconds: number): Promise<Omit<Measured, 'cpu'> & { requests: number }> {
  const result = await autocannon({
    url,
    connections: CONNECTIONS,
    duration: seconds,
    requests: [
      {
        method: 'POST',
        headers,
        setupRequest: (request) => ({ ...request, body: body() }),
      },
    ],
  });
  return {
    requestsPerSecond: result.requests.average,
    p99Ms: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
    requests: result.requests.total,
  };
}

/** The baseline, in its own process like the collector: node:http answering 204 to every POST. */
async function startBareServer(): Promise<{ url: string; pid: number; stop: () => void }> {
  const source = `
    const http = require('node:http');
    const server = http.createServer((req, res) => { req.resume(); req.on('end', () => { res.statusCode = 204; res.end(); }); });
    server.listen(0, '127.0.0.1', () => console.log(server.address().port));`;
  const child = spawn(process.execPath, ['-e', source], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve) => child.stdout.once('data', (chunk: Buffer) => resolve(Number(chunk.toString().trim()))));
  return { url: `http://127.0.0.1:${port}/collect`, pid: child.pid ?? 0, stop: () => child.kill() };
}

const format = (measured: Measured) =>
  `${Math.round(measured.requestsPerSecond)} req/s, p99 ${measured.p99Ms} ms, non-2xx ${measured.non2xx}, errors ${measured.errors}` +
  (measured.cpu
    ? `; CPU per request: server ${measured.cpu.serverUs} us` +
      (measured.cpu.databaseUs ? ` + PostgreSQL ${measured.cpu.databaseUs} us` : '') +
      ` + autocannon ${measured.cpu.loadUs} us`
    : '');

export async function benchCollect(): Promise<void> {
  const backend = await prepareBackend('postgres+redis', {
    ADMIN_TOKEN,
    COLLECT_IP_LIMIT_PER_MINUTE: '100000000',
    COLLECT_SITE_LIMIT_PER_SECOND: '100000000',
  });
  const collector = spawnLongfunnel(['start'], { ...backend.env, NODE_ENV: 'production', PUBLIC_URL: 'http://127.0.0.1' });
  const bare = await startBareServer();
  try {
    const collectorUrl = await collector.started(60_000);
    const site = await createTestSite(collectorUrl);
    console.log(
      `collect bench: ${CONNECTIONS} connections, ${DURATION_SECONDS} s per run after ${WARMUP_SECONDS} s of warm-up, PostgreSQL, loopback`,
    );

    const collect = await drive(`${collectorUrl}/collect`, payloadFactory(site.key), {
      pids: [collector.child.pid ?? 0],
      databaseUrl: backend.env.DATABASE_URL,
    });
    console.log(`collector at peak:  ${format(collect)}`);
    // The same requests as the collector got, so autocannon does the same work per request on both sides.
    const baseline = await drive(bare.url, payloadFactory(site.key), { pids: [bare.pid] });
    console.log(`bare node:http:     ${format(baseline)}`);
    const halfRate = Math.max(1, Math.round(collect.requestsPerSecond / 2));
    const nextPayload = payloadFactory(site.key);
    const atHalf = await pacedLoad(`${collectorUrl}/collect`, halfRate, DURATION_SECONDS, () => ({ body: nextPayload(), headers }));
    console.log(
      `collector paced at ${halfRate} req/s (half its peak): achieved ${atHalf.achievedPerSecond} req/s, ` +
        `p50 ${atHalf.p50Ms} ms, p99 ${atHalf.p99Ms} ms, failed ${atHalf.failed} (target p99 <= 25 ms)`,
    );
    console.log(`ratio=${(collect.requestsPerSecond / baseline.requestsPerSecond).toFixed(3)}`);
  } finally {
    bare.stop();
    collector.child.kill('SIGTERM');
    await collector.exited(30_000).catch(() => undefined);
    await backend.cleanup();
  }
}
