/**
 * Ad-serving hosts seen as referrers when a click carries no click id or tags (auto-tagging off,
 * stripped parameters). The medium says which kind of placement served the ad: `cpc` for search
 * ads on partner sites, `display` for banner networks (Google Display Network, Yandex's RSYa).
 */
export interface AdNetwork {
  readonly name: string;
  readonly medium: 'cpc' | 'display';
  readonly hosts: readonly string[];
}

export const AD_NETWORKS: readonly AdNetwork[] = [
  { name: 'google', medium: 'cpc', hosts: ['googleadservices.com', 'adsensecustomsearchads.com', 'syndicatedsearch.goog'] },
  { name: 'google', medium: 'display', hosts: ['doubleclick.net', 'googlesyndication.com'] },
  // yabs is Yandex Direct's click counter; an.yandex.ru and yandex.ru/an serve the RSYa network.
  { name: 'yandex', medium: 'cpc', hosts: ['yabs.yandex.{}'] },
  { name: 'yandex', medium: 'display', hosts: ['an.yandex.{}', 'yandex.{}/an/'] },
];
