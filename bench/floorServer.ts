/**
 * The floor of the collect benchmark: the least any collector can do that answers only once a hit is
 * committed to PostgreSQL. node:http reads the body and parses it as JSON (400 when it is not), the
 * same group commit as the collector (storage/groupCommit.ts, same batch and in-flight limits) inserts
 * the raw bodies into one table without indexes, and the answer is 204. No validation, no site, no
 * visits: what is left when everything a real collector must do on top costs nothing.
 *
 * Run as its own process: `node dist/bench/floorServer.js` with DATABASE_URL; prints its port.
 */
import http from 'node:http';
import pg from 'pg';
import { GroupCommitter } from '../server/storage/groupCommit.js';
import { COLLECT_COMMIT_MAX_BATCH, COLLECT_COMMITS_IN_FLIGHT } from '../server/tracking/collector/collectRoutes.js';

const databaseUrl = process.env.DATABASE_URL;
if (!databaseUrl) {
  process.stderr.write('floorServer: DATABASE_URL is required\n');
  process.exit(2);
}
const pool = new pg.Pool({ connectionString: databaseUrl, max: 10 });
await pool.query('CREATE TABLE IF NOT EXISTS bench_floor_hits (body text NOT NULL)');
const committer = new GroupCommitter<string>(
  async (bodies) => {
    await pool.query({ name: 'floor_insert', text: 'INSERT INTO bench_floor_hits (body) SELECT unnest($1::text[])', values: [bodies] });
  },
  { maxBatch: COLLECT_COMMIT_MAX_BATCH, maxInFlight: COLLECT_COMMITS_IN_FLIGHT },
);

const server = http.createServer((req, res) => {
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (chunk: string) => (body += chunk));
  req.on('end', () => {
    try {
      JSON.parse(body);
    } catch {
      res.statusCode = 400;
      res.end();
      return;
    }
    committer.submit(body).then(
      () => {
        res.statusCode = 204;
        res.end();
      },
      () => {
        res.statusCode = 503;
        res.end();
      },
    );
  });
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  console.log(typeof address === 'object' && address ? address.port : '');
});
process.on('SIGTERM', () => {
  server.close();
  void pool.end().then(() => process.exit(0));
});
