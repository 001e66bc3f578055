/**
 * The demo announces itself in `/readyz` details (`demo`: what it is doing, how far the history is,
 * which public APIs this build lacks). Added to the feature list only when the demo runs.
 */
import type { Feature } from '../runtime.js';
import type { TrafficCounters } from './traffic.js';

export interface DemoStatus {
  /** `live`: the history and its deal steps are done; a slow trickle of visits goes on. */
  phase: 'starting' | 'installing' | 'history' | 'live';
  historyDays: number;
  daysDone: number;
  /** Public APIs this build does not have yet; the generator leaves out what they would carry. */
  missing: string[];
  generator?: TrafficCounters;
  enrichedDeal?: { crm: string; tenant: string; dealId: string };
  /** The demo websites: which tenant each belongs to and where it is served. */
  sites?: Array<{ crm: string; tenant: string; siteId: string; url: string }>;
}

export function demoFeature(status: DemoStatus): Feature {
  return {
    name: 'demo',
    readiness: async () => ({
      running: true,
      note: 'first-run demo on emulated CRMs; its data lives in DATA_DIR/demo',
      ...status,
      ...(status.generator ? { generator: { ...status.generator, revenue: Math.round(status.generator.revenue), cost: Math.round(status.generator.cost) } } : {}),
    }),
  };
}
