/** The stored real amoCRM webhook bodies (../shared/data/payloads/amocrm), as amoCRM sent them. */
import fs from 'node:fs';
import path from 'node:path';
import { sharedDir } from './repoRoot.js';

export const amocrmSamplesDir = path.join(sharedDir, 'data', 'payloads', 'amocrm');

export function amocrmSampleFiles(): string[] {
  return fs.readdirSync(amocrmSamplesDir).filter((file) => file.endsWith('.json')).sort();
}

/** A sample as the form body amoCRM sent; the one sample stored percent-decoded is encoded again (`+` was a space). */
export function amocrmSampleBody(file: string): string {
  const sample = JSON.parse(fs.readFileSync(path.join(amocrmSamplesDir, file), 'utf8')) as { raw_body?: string; raw_body_decoded?: string };
  if (sample.raw_body !== undefined) return sample.raw_body;
  const entries = (sample.raw_body_decoded ?? '').split('&').map((pair): [string, string] => {
    const at = pair.indexOf('=');
    return at < 0 ? [pair, ''] : [pair.slice(0, at), pair.slice(at + 1).replace(/\+/g, ' ')];
  });
  return new URLSearchParams(entries).toString();
}
