/**
 * `longfunnel demo [--reset]`, and `longfunnel start` when no CRM is configured (DEMO=auto): runs
 * the demo until SIGINT or SIGTERM, then stops it gracefully.
 */
import type { Config } from '../config.js';
import { createLogger, errorMeta, type Logger } from '../observability/logger.js';
import type { Feature } from '../runtime.js';
import { runDemo, type RunningDemo } from './runDemo.js';

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
  let demo: RunningDemo | undefined;
  let stopRequested: string | undefined;
  const stopThenExit = (reason: string, exitCode: number) => {
    if (!demo) return;
    demo.stop(reason).then(
      () => process.exit(exitCode),
      (error) => {
        logger.error('demo: shutdown failed', errorMeta(error));
        process.exit(1);
      },
    );
  };
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopRequested) {
      logger.warn('second signal: exiting without waiting', { signal });
      process.exit(1);
    }
    stopRequested = signal;
    if (demo) stopThenExit(signal, 0);
    else logger.info('signal received while the demo starts; stopping once started', { signal });
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  process.on('unhandledRejection', (reason) => {
    logger.error('unhandled promise rejection; stopping', errorMeta(reason));
    stopRequested ??= 'unhandledRejection';
    stopThenExit('unhandledRejection', 1);
  });
  demo = await runDemo({ config, logger, features, reset });
  if (stopRequested) stopThenExit(stopRequested, 0);
}
