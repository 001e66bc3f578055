import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CHANNEL_GROUPS, channelGroupOf, type ChannelGroup, type ChannelInput } from '../../../server/tracking/classification/index.js';

type Case = [when: string, input: Partial<ChannelInput> & { source: string; medium: string }, expected: ChannelGroup];

const cases: Case[] = [
  ['source is (direct) and medium (none)', { source: '(direct)', medium: '(none)' }, 'Direct'],
  ['source is (direct) and medium (not set)', { source: '(direct)', medium: '(not set)' }, 'Direct'],
  ['the campaign name contains cross-network', { source: 'google', medium: 'cpc', campaign: 'PMax Cross-Network Q3' }, 'Cross-network'],
  ['a shopping site is paid', { source: 'ozon', medium: 'cpc' }, 'Paid Shopping'],
  ['a paid campaign is named shopping', { source: 'google', medium: 'cpc', campaign: 'Shopping - all products' }, 'Paid Shopping'],
  ['a search engine is paid', { source: 'yandex', medium: 'cpc' }, 'Paid Search'],
  ['a search engine is paid under a ppc medium', { source: 'google', medium: 'ppc' }, 'Paid Search'],
  ['a search engine host is paid', { source: 'yandex.ru', medium: 'paid_search' }, 'Paid Search'],
  ['a social network is paid', { source: 'vk', medium: 'cpc' }, 'Paid Social'],
  ['a messenger is paid', { source: 'telegram', medium: 'cpc' }, 'Paid Social'],
  ['a social network is retargeting', { source: 'fb', medium: 'retargeting' }, 'Paid Social'],
  ['a video site is paid', { source: 'youtube', medium: 'cpc' }, 'Paid Video'],
  ['the medium is banner', { source: 'partner-network', medium: 'banner' }, 'Display'],
  ['the medium is cpm on an unknown source', { source: 'partner-network', medium: 'cpm' }, 'Display'],
  ['Yandex Direct says the ad network served the ad', { source: 'yandex', medium: 'cpc', adNetwork: 'display' }, 'Display'],
  ['Yandex Direct says search served the ad', { source: 'yandex_rsya', medium: 'cpc', adNetwork: 'search' }, 'Paid Search'],
  ['an unknown source is paid', { source: 'avito', medium: 'cpc' }, 'Paid Other'],
  ['an AI assistant refers', { source: 'chatgpt', medium: 'ai' }, 'AI Assistants'],
  ['an AI assistant host is the utm source', { source: 'perplexity.ai', medium: 'referral' }, 'AI Assistants'],
  ['a messenger refers', { source: 'whatsapp', medium: 'social' }, 'Messengers'],
  ['a messenger alias is the utm source', { source: 'tg', medium: 'post' }, 'Messengers'],
  ['a classifieds site refers', { source: 'avito', medium: 'referral' }, 'Classifieds'],
  ['a map service refers', { source: '2gis', medium: 'referral' }, 'Maps'],
  ['a shopping site refers', { source: 'market.yandex.ru', medium: 'referral' }, 'Organic Shopping'],
  ['an unpaid campaign is named e-shop', { source: 'partner', medium: 'link', campaign: 'e-shop launch' }, 'Organic Shopping'],
  ['a campaign named workshop is not shopping', { source: 'partner', medium: 'link', campaign: 'workshop' }, 'Referral'],
  ['a social network refers', { source: 'ok', medium: 'social' }, 'Organic Social'],
  ['the medium is social-network', { source: 'somewhere', medium: 'social-network' }, 'Organic Social'],
  ['a social network host is the source', { source: 'l.facebook.com', medium: 'referral' }, 'Organic Social'],
  ['a video site refers', { source: 'rutube', medium: 'referral' }, 'Organic Video'],
  ['the medium contains video', { source: 'blogger', medium: 'video-review' }, 'Organic Video'],
  ['a search engine refers', { source: 'google', medium: 'organic' }, 'Organic Search'],
  ['an unknown source says organic', { source: 'catalog', medium: 'organic' }, 'Organic Search'],
  ['the medium is referral', { source: 'habr.com', medium: 'referral' }, 'Referral'],
  ['the medium is app', { source: 'partner', medium: 'app' }, 'Referral'],
  ['the medium is e-mail', { source: 'newsletter', medium: 'e-mail' }, 'Email'],
  ['the source is email', { source: 'email', medium: 'weekly' }, 'Email'],
  ['the medium is affiliate', { source: 'admitad', medium: 'affiliate' }, 'Affiliates'],
  ['the medium is audio', { source: 'podcast', medium: 'audio' }, 'Audio'],
  ['the source is sms', { source: 'sms', medium: 'bulk' }, 'SMS'],
  ['the medium is sms', { source: 'smsc', medium: 'sms' }, 'SMS'],
  ['the medium ends with push', { source: 'sendpulse', medium: 'web-push' }, 'Mobile Push Notifications'],
  ['the medium mentions mobile', { source: 'app', medium: 'mobile-banner-free' }, 'Mobile Push Notifications'],
  ['the source is firebase', { source: 'firebase', medium: 'inapp' }, 'Mobile Push Notifications'],
  ['nothing matches', { source: 'partner', medium: 'unknown' }, 'Unassigned'],
  ['source and medium are (not set) tags', { source: 'partner', medium: '(not set)' }, 'Unassigned'],
];

for (const [when, input, expected] of cases) {
  test(`when ${when}, then the channel group is ${expected}`, () => {
    assert.equal(channelGroupOf({ campaign: null, adNetwork: null, ...input }), expected);
  });
}

test('when every case above has run, then every channel group was reached at least once', () => {
  const reached = new Set(cases.map(([, , expected]) => expected));
  assert.deepEqual(CHANNEL_GROUPS.filter((group) => !reached.has(group)), []);
});
