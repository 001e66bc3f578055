/**
 * `GET /t.js`: the built tracker (dist/tracker/t.js), read once at start, served gzip-compressed
 * when the browser accepts it, with an ETag and a short cache lifetime so an update reaches every
 * site within minutes.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { Router } from 'express';
import { AppError } from '../errors.js';
import type { FeatureDeps } from '../runtime.js';

/** dist/server/tracking -> dist/tracker/t.js */
export const trackerBuildPath = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../tracker/t.js');

export function trackerScriptRoutes(deps: FeatureDeps): Router {
  const router = Router();
  let script: { body: Buffer; gzipped: Buffer; etag: string } | undefined;
  try {
    const body = fs.readFileSync(trackerBuildPath);
    script = { body, gzipped: gzipSync(body, { level: 9 }), etag: `"${createHash('sha256').update(body).digest('hex').slice(0, 32)}"` };
  } catch {
    deps.logger.error(`tracker script missing at ${trackerBuildPath}: run "npm run build"; /t.js answers 503 until then`);
  }

  router.get('/t.js', (req, res) => {
    if (!script) throw AppError.unavailable('The tracker script is not built on this server');
    res.setHeader('Content-Type', 'application/javascript; charset=utf-8');
    res.setHeader('Cache-Control', 'public, max-age=300');
    res.setHeader('ETag', script.etag);
    res.setHeader('Vary', 'Accept-Encoding');
    res.setHeader('Access-Control-Allow-Origin', '*');
    if (req.get('if-none-match') === script.etag) {
      res.status(304).end();
      return;
    }
    if (req.acceptsEncodings('gzip') === 'gzip') {
      res.setHeader('Content-Encoding', 'gzip');
      res.send(script.gzipped);
      return;
    }
    res.send(script.body);
  });
  return router;
}
