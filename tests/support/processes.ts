/** Runs `longfunnel` as a separate process, the way an operator does, and watches what it prints. */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { repoRoot } from './repoRoot.js';

export const cliPath = path.join(repoRoot, 'dist/server/cli.js');
export const fixtureCliPath = path.join(repoRoot, 'dist/tests/fixtures/longfunnelWithTestFeature.js');

export interface RunningProcess {
  child: ChildProcess;
  output(): string;
  /** Resolves with the URL the process logged once it listens. */
  started(timeoutMs?: number): Promise<string>;
  exited(timeoutMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function spawnLongfunnel(
  args: string[],
  env: Record<string, string>,
  options: { withTestFeature?: boolean } = {},
): RunningProcess {
  const entry = options.withTestFeature ? fixtureCliPath : cliPath;
  const child = spawn(process.execPath, [entry, ...args], {
    cwd: repoRoot,
    // Only what the test chose: the developer's own DATABASE_URL or REDIS_URL must not leak in.
    // Info level unless a test says otherwise: tests read the lines an operator reads.
    // DEMO=off: a test that starts `longfunnel start` without CRM variables wants the plain server, not the demo.
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'info', DEMO: 'off', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => resolve({ code, signal }));
  });

  return {
    child,
    output: () => output,
    async started(timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        // Readable lines say `url=http://...`; JSON lines (NODE_ENV=production) say `"url":"http://..."`.
        const match = /LongFunnel started.*?"?url"?[=:]"?(http:\/\/[^\s"]+)/.exec(output);
        if (match?.[1]) return match[1];
        if (child.exitCode !== null) throw new Error(`longfunnel exited with ${child.exitCode} before starting:\n${output}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      child.kill('SIGKILL');
      throw new Error(`longfunnel did not start within ${timeoutMs} ms:\n${output}`);
    },
    async exited(timeoutMs = 20_000) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_resolve, reject) => {
        timer = setTimeout(() => {
          // A process the test gave up on must not outlive it and hold ports or the data directory.
          child.kill('SIGKILL');
          reject(new Error(`longfunnel did not exit within ${timeoutMs} ms:\n${output}`));
        }, timeoutMs);
      });
      try {
        return await Promise.race([exit, timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/**
 * `longfunnel <args>` as its own process, once it listens; `stop` ends it with SIGTERM and waits.
 * A start that fails runs `cleanUp` (the caller's emulator, database) before it throws.
 */
export async function startLongfunnelProcess(
  args: string[],
  env: Record<string, string>,
  cleanUp: () => Promise<void>,
): Promise<{ url: string; process: RunningProcess; stop(): Promise<void> }> {
  const process = spawnLongfunnel(args, env);
  try {
    const url = await process.started(60_000);
    return {
      url,
      process,
      async stop() {
        process.child.kill('SIGTERM');
        await process.exited(30_000).catch(() => undefined);
      },
    };
  } catch (error) {
    await cleanUp();
    throw error;
  }
}

export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 20_000,
  intervalMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  throw new Error(`Timed out waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`);
}

/** What a CRM test world is made of before LongFunnel starts: an emulator, a backend and LongFunnel's env. */
export interface WorldParts {
  emulator: { close(): Promise<void> };
  backend: { cleanup(): Promise<void> };
  env: Record<string, string>;
}

/**
 * A world's parts with LongFunnel as its own process (`longfunnel <role>`), as operators run it: its
 * event loop does not delay the emulator's, so the emulator's rate limits see requests when they
 * arrive. `stop` ends LongFunnel, then the emulator and the backend.
 */
export async function startProcessWorld<P extends WorldParts>(parts: P, role: 'start' | 'server' = 'start'): Promise<P & { url: string; process: RunningProcess; stop(): Promise<void> }> {
  const closeWorld = async () => {
    await parts.emulator.close();
    await parts.backend.cleanup();
  };
  const longfunnel = await startLongfunnelProcess([role], parts.env, closeWorld);
  return {
    ...parts,
    url: longfunnel.url,
    process: longfunnel.process,
    async stop() {
      await longfunnel.stop();
      await closeWorld();
    },
  };
}
