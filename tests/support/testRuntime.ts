/** Starts the product in the test process on port 0, with its log lines kept for assertions. */
import { Writable } from 'node:stream';
import { loadConfig } from '../../server/config.js';
import { productionFeatures } from '../../server/features.js';
import { createLogger } from '../../server/observability/logger.js';
import { startRuntime, type Feature, type Role, type Runtime } from '../../server/runtime.js';
import { testFeature } from './testFeature.js';

export interface TestRuntime {
  runtime: Runtime;
  url: string;
  logs: string[];
  stop(): Promise<void>;
}

export async function startTestRuntime(
  env: Record<string, string>,
  options: { role?: Role; features?: readonly Feature[] } = {},
): Promise<TestRuntime> {
  const config = loadConfig(env);
  const logs: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logs.push(chunk.toString());
      done();
    },
  });
  const logger = createLogger({ level: 'debug', nodeEnv: 'production', stream });
  const runtime = await startRuntime({
    config,
    role: options.role ?? 'all',
    features: options.features ?? [...productionFeatures, testFeature],
    logger,
  });
  return {
    runtime,
    url: runtime.url,
    logs,
    async stop() {
      await runtime.stop('test finished');
    },
  };
}
