import type { Config } from '../../server/config.js';

/**
 * The redirect URI registered with the amoCRM integration: AMOCRM_REDIRECT_URI, else our callback under
 * PUBLIC_URL. The install's code exchange and the widget's token check (whose audience is this URI's
 * origin) must use the same one.
 */
export function amocrmRedirectUri(config: Pick<Config, 'amocrm' | 'publicUrl'>): string {
  return config.amocrm.redirectUri ?? `${config.publicUrl}/oauth/amocrm/callback`;
}
