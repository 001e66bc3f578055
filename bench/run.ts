/**
 * `npm run bench -- <name>`: runs one benchmark. Each prints what it measured and, as its last
 * line, `ratio=<ours/baseline>` where both sides were measured in the same run on this machine.
 */
import { benchAmocrm } from './amocrm.js';
import { benchBitrix24 } from './bitrix24.js';
import { benchCollect } from './collect.js';
import { benchReports } from './reports.js';

const benchmarks: Record<string, () => Promise<void>> = {
  collect: benchCollect,
  amocrm: benchAmocrm,
  bitrix24: benchBitrix24,
  reports: benchReports,
};

const name = process.argv[2];
const run = name ? benchmarks[name] : undefined;
if (!run) {
  process.stderr.write(`Usage: npm run bench -- <${Object.keys(benchmarks).join('|')}>\n`);
  process.exit(2);
}
await run();
