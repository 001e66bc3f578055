/**
 * The demo inside LongFunnel: it announces itself in `/readyz` details (`demo`: what it is doing,
 * how far the history is, which public APIs this build lacks), and serves the demo deal card — the
 * amoCRM card page with the LongFunnel widget (amocrmCardPage.ts) — from LongFunnel's own origin, so
 * the widget's calls are same-origin for the operator's browser. Added to the feature list only
 * when the demo runs.
 */
import fs from 'node:fs';
import { Router } from 'express';
import { AppError } from '../errors.js';
import type { Feature } from '../runtime.js';
import { amocrmCardAsset, amocrmCardPage, type CardPageOptions } from './amocrmCardPage.js';
import type { TrafficCounters } from './traffic.js';

export interface DemoStatus {
  /** `live`: the history and its deal steps are done; a slow trickle of visits goes on. */
  phase: 'starting' | 'installing' | 'history' | 'live';
  historyDays: number;
  daysDone: number;
  /** Public APIs this build does not have yet; the generator leaves out what they would carry. */
  missing: string[];
  generator?: TrafficCounters;
  enrichedDeal?: { crm: string; tenant: string; dealId: string; cardUrl?: string };
  /** The demo websites: which tenant each belongs to and where it is served. */
  sites?: Array<{ crm: string; tenant: string; siteId: string; url: string }>;
}

/** Where the demo deal card is served on LongFunnel. */
export const DEMO_CARD_PATH = '/demo/amocrm';

export function demoFeature(status: DemoStatus, card: { options?: CardPageOptions }): Feature {
  return {
    name: 'demo',
    readiness: async () => ({
      running: true,
      note: 'first-run demo on emulated CRMs; its data lives in DATA_DIR/demo',
      ...status,
      ...(status.generator ? { generator: { ...status.generator, revenue: Math.round(status.generator.revenue), cost: Math.round(status.generator.cost) } } : {}),
    }),
    routers: () => {
      const router = Router();
      router.get(`${DEMO_CARD_PATH}/deals/:dealId`, (request, response) => {
        const dealId = Number(request.params.dealId);
        if (!card.options) throw AppError.notFound('The demo deal card is ready once LongFunnel is installed into the demo amoCRM account');
        if (!Number.isSafeInteger(dealId) || dealId <= 0) throw AppError.notFound('No such deal');
        response.setHeader('Cache-Control', 'no-store');
        response.type('html').send(amocrmCardPage(card.options, dealId, request.query.lang === 'en' ? 'en' : 'ru', false));
      });
      router.get(/^\/demo\/amocrm\/(vendor|widget)\/.+$/, (request, response) => {
        const asset = amocrmCardAsset(request.path.slice(DEMO_CARD_PATH.length));
        if (!asset) throw AppError.notFound('No such file of the demo deal card (is the widget built? npm run build)');
        response.setHeader('Cache-Control', 'no-store');
        response.type(asset.type).send(fs.readFileSync(asset.file));
      });
      return [router];
    },
  };
}
