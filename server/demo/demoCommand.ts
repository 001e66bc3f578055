/**
 * `longfunnel demo [--reset]`, and `longfunnel start` when no CRM is configured (DEMO=auto): runs
 * the demo until SIGINT or SIGTERM, then stops it gracefully.
 */
import type { Config } from '../config.js';
import { createLogger, type Logger } from '../observability/logger.js';
import type { Feature } from '../runtime.js';
import { runUntilSignalled } from '../runUntilSignalled.js';
import { runDemo } from './runDemo.js';

/** `start` runs the demo only when no CRM is configured and DEMO is not off. */
export function startRunsDemo(config: Config): boolean {
  return config.demo.mode === 'auto' && !config.amocrm.clientId && !config.bitrix24.clientId;
}

/** Why `longfunnel demo` will not run here, or undefined: never next to a real CRM's keys (DESIGN.md, security model). */
export function demoRefusal(config: Config): string | undefined {
  const configured = [config.amocrm.clientId ? 'AMOCRM_CLIENT_ID' : '', config.bitrix24.clientId ? 'BITRIX24_CLIENT_ID' : ''].filter(Boolean);
  if (configured.length === 0) return undefined;
  return `longfunnel demo: a CRM is configured (${configured.join(', ')}), and the demo never runs next to a real CRM. Run it from a copy without those variables, e.g. ${configured.map((name) => `${name}=`).join(' ')} DATA_DIR=./demo-data longfunnel demo`;
}

export async function runDemoCommand(config: Config, operatorLogger: Logger, features: readonly Feature[], reset: boolean): Promise<void> {
  const refusal = demoRefusal(config);
  if (refusal) {
    process.stderr.write(`${refusal}\n`);
    process.exit(1);
  }
  // The demo's console lines are what an operator reads first: without an explicit LOG_LEVEL, the
  // log shows warnings and errors only, so a job-by-job info log does not bury them.
  const logger = process.env.LOG_LEVEL ? operatorLogger : createLogger({ level: 'warn', nodeEnv: config.nodeEnv });
  await runUntilSignalled(logger, 'demo', () => runDemo({ config, logger, features, reset }));
}
