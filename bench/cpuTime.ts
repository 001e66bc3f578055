/**
 * CPU time of the processes on each side of a benchmark, read from /proc (Linux; elsewhere nothing
 * is reported). On a small machine the load generator, the server and its database share the same
 * cores, so CPU time per request says what limits a ratio better than requests/s alone.
 */
import fs from 'node:fs';
import pg from 'pg';

/** Linux's USER_HZ: /proc reports CPU time in these ticks. */
const TICKS_PER_SECOND = 100;

function processCpuSeconds(pid: number): number {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

/** The PostgreSQL backends serving `databaseUrl`'s database, when PostgreSQL runs on this machine. */
async function databaseBackendPids(databaseUrl: string): Promise<number[]> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ pid: number }>(
      'SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
    );
    return rows.map((row) => row.pid).filter((pid) => fs.existsSync(`/proc/${pid}/stat`));
  } finally {
    await client.end();
  }
}

export interface CpuSides {
  /** The server's process ids. */
  pids: number[];
  /** A database whose backends count too (the collector's). */
  databaseUrl?: string;
}

export interface CpuPerRequest {
  serverUs: number;
  databaseUs: number;
  /** This process: the load generator. */
  loadUs: number;
}

/** Starts counting; the function it returns gives the CPU time per request since then. */
export async function countCpu(sides: CpuSides): Promise<(requests: number) => Promise<CpuPerRequest | undefined>> {
  if (!fs.existsSync('/proc/self/stat')) return async () => undefined;
  const databasePids = async () => (sides.databaseUrl ? databaseBackendPids(sides.databaseUrl) : []);
  const databaseBefore = new Map((await databasePids()).map((pid) => [pid, processCpuSeconds(pid)]));
  const serverBefore = sides.pids.map(processCpuSeconds);
  const loadBefore = process.cpuUsage();
  return async (requests) => {
    const load = process.cpuUsage(loadBefore);
    const server = sides.pids.reduce((sum, pid, index) => sum + processCpuSeconds(pid) - (serverBefore[index] ?? 0), 0);
    let database = 0;
    for (const pid of await databasePids()) database += processCpuSeconds(pid) - (databaseBefore.get(pid) ?? 0);
    const perRequest = (seconds: number) => Math.round((seconds * 1e6) / Math.max(requests, 1));
    return { serverUs: perRequest(server), databaseUs: perRequest(database), loadUs: perRequest((load.user + load.system) / 1e6) };
  };
}
