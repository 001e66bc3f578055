import type { MatomoSearchEngine, MatomoSite } from './matomoTypes.js';

/**
 * Rows the CC0 lists lack, in the lists' own shape and naming so they join the same source (a
 * 'Vkontakte' row here is `vk` like the list's): Russian-market sites, and gaps the Snowplow
 * corpus showed (aolsearch.com, Voila's `kw`, PriceRunner, Character.AI, Poe, Lnk.Bio). Each row
 * is a fact about a real site; nothing here is copied from the GPL Matomo test file.
 */

export const SEARCH_ENGINE_ADDITIONS: readonly MatomoSearchEngine[] = [
  { name: 'AOL', urls: ['aolsearch.com'], params: ['query', 'q'] },
  // Voila's engine takes the term in `kw` on its own hosts as on Orange's (lemoteur.ke.voila.fr).
  { name: 'Voila', urls: ['search.ke.voila.fr'], params: ['kw', 'rdata'] },
  { name: 'PriceRunner', urls: ['pricerunner.{}'], params: ['q'] },
];

export const SOCIAL_ADDITIONS: readonly MatomoSite[] = [
  { name: 'Vkontakte', urls: ['vk.ru', 'com.vkontakte.android'] },
  { name: 'Odnoklassniki', urls: ['ok.ru', 'ru.ok.android'] },
  { name: 'Dzen', urls: ['dzen.ru', 'zen.yandex.{}'] },
  { name: 'Pikabu', urls: ['pikabu.ru'] },
  // Link-in-bio pages are how Instagram and TikTok profiles link out.
  { name: 'Taplink', urls: ['taplink.cc', 'taplink.ru', 'taplink.at'] },
  { name: 'Linktree', urls: ['linktr.ee'] },
  { name: 'Lnk.Bio', urls: ['lnk.bio'] },
];

export const AI_ASSISTANT_ADDITIONS: readonly MatomoSite[] = [
  { name: 'Alice', urls: ['alice.yandex.ru'] },
  { name: 'GigaChat', urls: ['giga.chat'] },
  { name: 'Character.AI', urls: ['character.ai'] },
  { name: 'Poe', urls: ['poe.com'] },
];

/**
 * Hosts the search-engine list names (they once embedded a search box) that mostly send other
 * traffic. Browsers now send only the origin cross-site, so without a term parameter a visit
 * from them is a referral, not a search.
 */
export const PORTAL_SEARCH_HOSTS: readonly string[] = [
  'cnn.com',
  'fastweb.it',
  'it.luna.tv',
  'cgi2.nintendo.co.jp',
  'wow.com',
  'optuszoo.com.au',
  'start.lenovo.com',
  'digg.com',
  'friendfeed.com',
  'technorati.com',
  'dmoz.org',
  'alexa.com',
  'arcor.de',
  'charter.net',
  'talktalk.co.uk',
  'skynet.be',
  'online.no',
  'icq.com',
  'meinestadt.de',
  'ask.reference.com',
  'kataweb.it',
  'highbeam.com',
];
