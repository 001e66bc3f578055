/**
 * Running one REST method for a known portal and caller (bitrix24.md 4.3 check order after auth:
 * app-only and scope checks, the operating-time limit, then the method), and `batch` (3.11):
 * up to 50 commands run in order with the outer auth, `$result[...]` references, `halt`, and the
 * five result maps encoded the way PHP encodes them.
 */
import { performance } from 'node:perf_hooks';
import type { EmulatorClock } from '../../amocrm/emulator/clock.js';
import { addTrace } from './methods/timelineTracking.js';
import { callTime, RestError, type CallTime, type MethodResult } from './envelope.js';
import { emitEvent, type LifecycleContext } from './lifecycle.js';
import type { OperatingLimiter } from './limits.js';
import type { MethodContext, MethodTable } from './methods/context.js';
import type { Caller } from './oauth.js';
import type { Bitrix24EmulatorOptions } from './options.js';
import { parsePhpQuery, phpJsonMap, phpTruthy } from './phpQuery.js';
import type { Bitrix24State, Portal } from './state.js';

export interface RestDependencies {
  state: Bitrix24State;
  clock: EmulatorClock;
  options: Bitrix24EmulatorOptions;
  lifecycle: LifecycleContext;
  operating: OperatingLimiter;
  methods: MethodTable;
}

export interface CallOutcome {
  outcome: MethodResult;
  time: CallTime;
}

/** Method names are case-insensitive (file 4.1). */
export function methodExists(methods: MethodTable, name: string): boolean {
  return name.toLowerCase() === 'batch' || name.toLowerCase() in methods;
}

function callerKey(caller: Caller): string {
  return caller.kind === 'app' ? `app:${caller.app.clientId}` : `hook:${caller.userId}`;
}

export function runMethod(deps: RestDependencies, portal: Portal, caller: Caller, rawName: string, params: Record<string, unknown>, inBatch = false): CallOutcome {
  const name = rawName.toLowerCase();
  if (name === 'batch') {
    if (inBatch) throw new RestError(405, 'ERROR_BATCH_METHOD_NOT_ALLOWED', 'Method is not allowed for batch usage');
    return timed(deps, portal, caller, name, () => runBatch(deps, portal, caller, params), false);
  }
  const definition = deps.methods[name];
  if (!definition) throw new RestError(404, 'ERROR_METHOD_NOT_FOUND', 'Method not found!');
  if (definition.appOnly && caller.kind !== 'app') throw new RestError(403, 'WRONG_AUTH_TYPE', 'Current authorization type is denied for this method');
  if (definition.scope !== null && !caller.scopes.includes(definition.scope)) {
    const kind = caller.kind === 'app' ? 'access token' : 'webhook token';
    const description = inBatch ? '' : `The request requires higher privileges than provided by the ${kind}`;
    throw new RestError(deps.options.insufficientScopeStatus, 'insufficient_scope', description);
  }
  const limiterKey = `${portal.id}|${callerKey(caller)}|${name}`;
  if (!deps.operating.allows(limiterKey)) {
    deps.state.limits.operationTimeLimit += 1;
    throw new RestError(429, 'OPERATION_TIME_LIMIT', 'Method is blocked due to operation time limit.');
  }
  const context: MethodContext = {
    state: deps.state,
    clock: deps.clock,
    options: deps.options,
    portal,
    caller,
    params,
    lifecycle: deps.lifecycle,
    crm: {
      state: deps.state,
      clock: deps.clock,
      portal,
      actor: { userId: caller.userId, automation: false },
      emit: (target, event, data, actor) => emitEvent(deps.lifecycle, target, event, data, actor),
      historyLagMs: deps.options.stageHistoryLagMs,
      addTrace(trace, entities) {
        // An unusable TRACE on add leaves the record without a trace rather than failing it. [UNCONFIRMED]
        try {
          addTrace({ state: deps.state, portal }, trace, entities);
        } catch (error) {
          if (!(error instanceof RestError)) throw error;
        }
      },
    },
  };
  return timed(deps, portal, caller, name, () => definition.handler(context), true, limiterKey);
}

function timed(deps: RestDependencies, portal: Portal, caller: Caller, name: string, run: () => MethodResult, counted: boolean, limiterKey?: string): CallOutcome {
  const startMs = deps.clock.now();
  const started = performance.now();
  const outcome = run();
  const measured = (performance.now() - started) / 1000;
  const operating = deps.operating.enabled
    ? counted && limiterKey
      ? deps.operating.record(limiterKey, deps.operating.costOf(name, measured))
      : deps.operating.snapshot(`${portal.id}|${callerKey(caller)}|${name}`)
    : undefined;
  return { outcome, time: callTime(startMs, deps.clock.now(), measured, portal.timezoneOffset, operating) };
}

const reference = /\$(result|next|total|time|error)((?:\[[^\]]*\])+)/g;
const wholeReference = /^\$(result|next|total|time|error)((?:\[[^\]]*\])+)$/;

type Maps = Record<'result' | 'next' | 'total' | 'time' | 'error', Map<string, unknown>>;

/** The value a reference points at; a missing step leaves the deepest value found (file 3.11). */
function resolve(maps: Maps, mapName: string, path: string): unknown {
  const steps = [...path.matchAll(/\[([^\]]*)\]/g)].map((match) => match[1] ?? '');
  const [first, ...rest] = steps;
  const map = maps[mapName as keyof Maps];
  if (first === undefined || !map.has(first)) return undefined;
  let value = map.get(first);
  for (const step of rest) {
    if (typeof value !== 'object' || value === null || !(step in value)) break;
    value = (value as Record<string, unknown>)[step];
  }
  return value;
}

function substitute(value: unknown, maps: Maps): unknown {
  if (typeof value === 'string') {
    const whole = wholeReference.exec(value);
    if (whole) {
      const resolved = resolve(maps, whole[1] ?? '', whole[2] ?? '');
      return resolved === undefined ? value : resolved;
    }
    return value.replace(reference, (text, mapName: string, path: string) => {
      const resolved = resolve(maps, mapName, path);
      return typeof resolved === 'string' || typeof resolved === 'number' || typeof resolved === 'boolean' ? String(resolved) : text;
    });
  }
  if (Array.isArray(value)) return value.map((item) => substitute(item, maps));
  if (typeof value === 'object' && value !== null) return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, substitute(item, maps)]));
  return value;
}

function commandsOf(cmd: unknown): Array<[string, unknown]> {
  if (Array.isArray(cmd)) return cmd.map((command, index) => [String(index), command]);
  if (typeof cmd === 'object' && cmd !== null) return Object.entries(cmd);
  return [];
}

function runBatch(deps: RestDependencies, portal: Portal, caller: Caller, params: Record<string, unknown>): MethodResult {
  const halt = phpTruthy(params['halt']);
  const maps: Maps = { result: new Map(), next: new Map(), total: new Map(), time: new Map(), error: new Map() };
  const commands = commandsOf(params['cmd']);
  for (const [index, [key, command]] of commands.entries()) {
    if (index >= deps.options.maxBatchCommands) {
      maps.error.set(key, { error: 'ERROR_BATCH_LENGTH_EXCEEDED', error_description: 'Max batch length exceeded' });
      continue;
    }
    const text = typeof command === 'string' ? command : '';
    const question = text.indexOf('?');
    const method = (question === -1 ? text : text.slice(0, question)).trim();
    const commandParams = substitute(parsePhpQuery(question === -1 ? '' : text.slice(question + 1)), maps) as Record<string, unknown>;
    try {
      const { outcome, time } = runMethod(deps, portal, caller, method, commandParams, true);
      maps.result.set(key, outcome.result);
      if (outcome.next !== undefined) maps.next.set(key, outcome.next);
      if (outcome.total !== undefined) maps.total.set(key, outcome.total);
      maps.time.set(key, time);
    } catch (error) {
      if (!(error instanceof RestError)) throw error;
      maps.error.set(key, error.body());
      if (halt) break;
    }
  }
  return {
    result: {
      result: phpJsonMap([...maps.result]),
      result_error: phpJsonMap([...maps.error]),
      result_total: phpJsonMap([...maps.total]),
      result_next: phpJsonMap([...maps.next]),
      result_time: phpJsonMap([...maps.time]),
    },
  };
}
