/**
 * What a log line says about where it came from: the request, the job and the tenant. Set once at
 * the edge (HTTP middleware, job runner) and read by the logger, so no call site passes it by hand.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

export interface LogContext {
  requestId?: string;
  jobId?: string;
  queue?: string;
  tenant?: string;
}

const storage = new AsyncLocalStorage<LogContext>();

export function runWithContext<T>(context: LogContext, fn: () => T): T {
  return storage.run({ ...storage.getStore(), ...context }, fn);
}

/** Adds fields (e.g. the tenant once it is known) to the context of the current request or job. */
export function addToContext(fields: LogContext): void {
  const current = storage.getStore();
  if (current) Object.assign(current, fields);
}

export function currentContext(): LogContext {
  return storage.getStore() ?? {};
}
