/** docs/openapi.yaml describes exactly what the server serves: no route missing, none invented. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { productionFeatures } from '../../server/features.js';
import { prepareBackend, type PreparedBackend } from '../support/backends.js';
import { repoRoot } from '../support/repoRoot.js';
import { routeTable } from '../support/routeTable.js';
import { startTestRuntime, type TestRuntime } from '../support/testRuntime.js';

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

interface Operation {
  responses?: Record<string, unknown>;
  parameters?: { $ref?: string; name?: string; in?: string }[];
}

const document = parse(fs.readFileSync(path.join(repoRoot, 'docs/openapi.yaml'), 'utf8')) as {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: { parameters?: Record<string, { name: string; in: string }> };
};

let backend: PreparedBackend;
let app: TestRuntime;

before(async () => {
  backend = await prepareBackend('embedded', {});
  app = await startTestRuntime(backend.env, { features: productionFeatures });
});

after(async () => {
  await app?.stop();
  await backend?.cleanup();
});

const documented = () =>
  Object.entries(document.paths)
    .flatMap(([route, item]) => Object.keys(item).filter((key) => METHODS.includes(key)).map((method) => `${method} ${route}`))
    .sort();

test('when the server runs, then every route it serves is in docs/openapi.yaml and every documented route is served', () => {
  const served = routeTable(app.runtime).map((entry) => `${entry.method} ${entry.path}`);
  const missing = served.filter((entry) => !documented().includes(entry));
  const invented = documented().filter((entry) => !served.includes(entry));
  assert.deepEqual(missing, [], `served but not documented in docs/openapi.yaml:\n${missing.join('\n')}`);
  assert.deepEqual(invented, [], `documented in docs/openapi.yaml but not served:\n${invented.join('\n')}`);
});

test('when an operation is documented, then it lists its answers and declares each path parameter', () => {
  assert.match(document.openapi, /^3\.1\./);
  for (const [route, item] of Object.entries(document.paths)) {
    const pathParams = [...route.matchAll(/\{([^}]+)\}/g)].map((match) => match[1]);
    for (const [method, operation] of Object.entries(item)) {
      if (!METHODS.includes(method)) continue;
      assert.ok(operation.responses && Object.keys(operation.responses).length > 0, `${method} ${route} lists no responses`);
      const declared = (operation.parameters ?? [])
        .map((parameter) => (parameter.$ref ? document.components.parameters?.[parameter.$ref.split('/').pop() ?? ''] : parameter))
        .filter((parameter) => parameter?.in === 'path')
        .map((parameter) => parameter?.name);
      assert.deepEqual([...declared].sort(), [...pathParams].sort(), `${method} ${route} must declare its path parameters`);
    }
  }
});
