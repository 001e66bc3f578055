/**
 * Runs something long-lived (a runtime, the demo) until SIGINT or SIGTERM, then stops it gracefully
 * and exits. The signal handlers are installed before `start` resolves, so a signal during start-up
 * still ends in a graceful stop once started; a second signal exits at once; an unhandled rejection
 * stops it with exit code 1.
 */
import { errorMeta, type Logger } from './observability/logger.js';

export interface Stoppable {
  stop(reason: string): Promise<unknown>;
}

export async function runUntilSignalled(logger: Logger, what: string, start: () => Promise<Stoppable>): Promise<void> {
  let running: Stoppable | undefined;
  let stopRequested: string | undefined;
  const stopThenExit = (reason: string, exitCode: number) => {
    if (!running) return;
    running.stop(reason).then(
      () => process.exit(exitCode),
      (error) => {
        logger.error(`${what}: shutdown failed`, errorMeta(error));
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
    if (running) stopThenExit(signal, 0);
    else logger.info(`signal received while the ${what} starts; stopping once started`, { signal });
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  process.on('unhandledRejection', (reason) => {
    logger.error('unhandled promise rejection; stopping', errorMeta(reason));
    stopRequested ??= 'unhandledRejection';
    stopThenExit('unhandledRejection', 1);
  });
  running = await start();
  if (stopRequested) stopThenExit(stopRequested, 0);
}
