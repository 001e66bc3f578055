/**
 * The collector against a bare `node:http` server answering 204, both driven by autocannon over
 * loopback with the same requests, connections, warm-up and duration. The collector runs as `longfunnel start` on
 * PostgreSQL (a fresh database), with realistic tracker payloads: many visitors and visits, UTM,
 * click-id and referrer landings, page views and goals. Then the collector again at half its peak
 * rate, paced evenly (pacedLoad.ts), for the latency a site sees under normal load.
 *
 * Between them, the floor (floorServer.ts): node:http that only parses the body and commits it raw
 * to PostgreSQL with the same group commit. On a machine where the load generator, the server and
 * PostgreSQL share the cores, floor/bare is about the highest ratio any collector could print there.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import pg from 'pg';
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

interface SideServer {
  url: string;
  pid: number;
  stop: () => void;
}

/** A server in its own process that prints its port once it listens. */
async function startSideServer(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<SideServer> {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'], env });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout.once('data', (chunk: Buffer) => resolve(Number(chunk.toString().trim())));
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited with ${code} before listening`)));
  });
  return { url: `http://127.0.0.1:${port}/collect`, pid: child.pid ?? 0, stop: () => child.kill() };
}

/** The baseline, in its own process like the collector: node:http answering 204 to every POST. */
function startBareServer(): Promise<SideServer> {
  const source = `
    const http = require('node:http');
    const server = http.createServer((req, res) => { req.resume(); req.on('end', () => { res.statusCode = 204; res.end(); }); });
    server.listen(0, '127.0.0.1', () => console.log(server.address().port));`;
  return startSideServer(['-e', source]);
}

/** The floor (floorServer.ts): node:http, JSON.parse and a group-committed INSERT of the raw body. */
function startFloorServer(databaseUrl: string): Promise<SideServer> {
  return startSideServer([fileURLToPath(new URL('./floorServer.js', import.meta.url))], { PATH: process.env.PATH, DATABASE_URL: databaseUrl });
}

/**
 * How many of the collector's visit and visitor updates PostgreSQL made in place (HOT: the row's new
 * version on the same page, no index entry added), from its statistics (they lag by about a second).
 */
async function visitUpdatesInPlace(databaseUrl: string): Promise<string> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ relname: string; updated: string; hot: string }>(
      `SELECT relname, n_tup_upd AS updated, n_tup_hot_upd AS hot FROM pg_stat_user_tables WHERE relname IN ('visits', 'visitors') ORDER BY relname DESC`,
    );
    const share = (row: { updated: string; hot: string }) => `${Math.round((100 * Number(row.hot)) / Math.max(Number(row.updated), 1))}%`;
    return `updates made in place (HOT): ${rows.map((row) => `${row.relname} ${share(row)} of ${row.updated}`).join(', ')}`;
  } finally {
    await client.end();
  }
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
    // What the machine allows any collector that commits before answering: the ratio's ceiling here.
    const floorServer = await startFloorServer(backend.env.DATABASE_URL!);
    try {
      const floor = await drive(floorServer.url, payloadFactory(site.key), { pids: [floorServer.pid], databaseUrl: backend.env.DATABASE_URL });
      console.log(`floor (node:http + JSON.parse + group-committed INSERT of the raw body): ${format(floor)}`);
      console.log(`floor/bare: ${(floor.requestsPerSecond / baseline.requestsPerSecond).toFixed(3)} (about the most a collector that commits to PostgreSQL before answering reaches on this machine)`);
    } finally {
      floorServer.stop();
    }
    const halfRate = Math.max(1, Math.round(collect.requestsPerSecond / 2));
    const nextPayload = payloadFactory(site.key);
    // The same warm-up as the closed-loop runs, on the same connections as the measured part.
    const atHalf = await pacedLoad(`${collectorUrl}/collect`, halfRate, DURATION_SECONDS, () => ({ body: nextPayload(), headers }), WARMUP_SECONDS);
    console.log(
      `collector paced at ${halfRate} req/s (half its peak): achieved ${atHalf.achievedPerSecond} req/s, ` +
        `p50 ${atHalf.p50Ms} ms, p99 ${atHalf.p99Ms} ms, failed ${atHalf.failed} (target p99 <= 25 ms)`,
    );
    console.log(await visitUpdatesInPlace(backend.env.DATABASE_URL!));
    console.log(`ratio=${(collect.requestsPerSecond / baseline.requestsPerSecond).toFixed(3)}`);
  } finally {
    bare.stop();
    collector.child.kill('SIGTERM');
    await collector.exited(30_000).catch(() => undefined);
    await backend.cleanup();
  }
}
