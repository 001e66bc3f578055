/**
 * `longfunnel attribution --input paths.csv`: the attribution engine on aggregated paths, for
 * analysts and for checking the engine on public data (see docs/reports.md). Reads the file, prints
 * CSV on stdout; a problem is one line on stderr and exit code 1 (2 for a usage error).
 */
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { attributeChannelPaths } from './attribution/channelTotals.js';
import { formatChannelTotalsCsv, parsePathsCsv, PathsCsvError } from './attribution/pathsCsv.js';

function fail(message: string, exitCode: number): void {
  process.stderr.write(`longfunnel attribution: ${message}\n`);
  process.exitCode = exitCode;
}

export function runAttributionCommand(argv: string[]): void {
  let input: string | undefined;
  try {
    ({ values: { input } } = parseArgs({ args: argv, options: { input: { type: 'string' } } }));
  } catch (error) {
    return fail(`${(error as Error).message}; usage: longfunnel attribution --input paths.csv`, 2);
  }
  if (!input) return fail('--input is required, e.g. longfunnel attribution --input paths.csv', 2);
  let text: string;
  try {
    text = fs.readFileSync(input, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : (error as Error).message;
    return fail(`cannot read ${input}: ${reason}`, 1);
  }
  try {
    const { channels } = attributeChannelPaths(parsePathsCsv(text));
    process.stdout.write(formatChannelTotalsCsv(channels));
  } catch (error) {
    if (error instanceof PathsCsvError) return fail(`${input}: ${error.message}`, 1);
    throw error;
  }
}
