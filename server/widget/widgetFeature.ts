/**
 * The deal-card widget (issue 7): the widget API and the panel's assets. CRM-specific pages (the
 * Bitrix24 tab) are mounted by their CRM's adapter; the CRM tokens the API trusts come from the
 * verifiers the composition root (features.ts) passes in, so this code imports no CRM.
 */
import { CrmAccountStore } from '../crm/crmAccounts.js';
import type { Feature, FeatureDeps } from '../runtime.js';
import { WidgetAuth, type WidgetTokenVerifier } from './widgetAuth.js';
import { widgetRoutes } from './widgetRoutes.js';

export type WidgetTokenVerifierFactory = (deps: FeatureDeps) => WidgetTokenVerifier | undefined;

export function widgetFeature(verifierFactories: readonly WidgetTokenVerifierFactory[]): Feature {
  return {
    name: 'widget',
    routers(deps) {
      const verifiers = verifierFactories.map((factory) => factory(deps)).filter((verifier): verifier is WidgetTokenVerifier => verifier !== undefined);
      const auth = new WidgetAuth(new CrmAccountStore(deps.db, deps.cipher), deps.cipher, verifiers);
      return [widgetRoutes(deps, auth)];
    },
  };
}
