import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root, from a compiled file in dist/tests/support. */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const sharedDir = path.resolve(repoRoot, '..', 'shared');
