import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classifyVisit, type TrafficSource } from '../../../server/tracking/classification/index.js';

const SITE = 'https://shop.example/landing';
const SITE_HOSTS = ['shop.example'];

interface Case {
  readonly when: string;
  readonly url?: string;
  readonly referrer?: string | null;
  readonly siteHosts?: readonly string[];
  readonly then: string;
  readonly expected: Partial<TrafficSource>;
}

function runCases(cases: readonly Case[]): void {
  for (const item of cases) {
    test(`when ${item.when}, then ${item.then}`, () => {
      const result = classifyVisit({ url: item.url ?? SITE, referrer: item.referrer ?? null, siteHosts: item.siteHosts ?? SITE_HOSTS });
      const compared = Object.fromEntries(Object.keys(item.expected).map((key) => [key, result[key as keyof TrafficSource]]));
      assert.deepEqual(compared, item.expected);
    });
  }
}

// Click ids: each platform's id names the source when there are no utm tags.
runCases([
  { when: 'the landing has gclid', url: `${SITE}?gclid=Cj0KCQ`, then: 'it is google / cpc, Paid Search', expected: { source: 'google', medium: 'cpc', channel: 'Paid Search', clickIdType: 'gclid', clickId: 'Cj0KCQ' } },
  { when: 'the landing has gbraid', url: `${SITE}?gbraid=0AAAA`, then: 'it is google / cpc', expected: { source: 'google', medium: 'cpc', clickIdType: 'gbraid' } },
  { when: 'the landing has wbraid', url: `${SITE}?wbraid=ClkKCQ`, then: 'it is google / cpc', expected: { source: 'google', medium: 'cpc', clickIdType: 'wbraid' } },
  { when: 'the landing has yclid', url: `${SITE}?yclid=1234567890`, then: 'it is yandex / cpc, Paid Search', expected: { source: 'yandex', medium: 'cpc', channel: 'Paid Search', clickIdType: 'yclid', clickId: '1234567890' } },
  { when: 'the landing has ymclid', url: `${SITE}?ymclid=987`, then: 'it is yandex / cpc', expected: { source: 'yandex', medium: 'cpc', clickIdType: 'ymclid' } },
  { when: 'the landing has msclkid', url: `${SITE}?msclkid=abc`, then: 'it is bing / cpc, Paid Search', expected: { source: 'bing', medium: 'cpc', channel: 'Paid Search', clickIdType: 'msclkid' } },
  { when: 'the landing has ttclid', url: `${SITE}?ttclid=E.C.P`, then: 'it is tiktok / cpc, Paid Social', expected: { source: 'tiktok', medium: 'cpc', channel: 'Paid Social', clickIdType: 'ttclid' } },
  { when: 'the landing has rb_clickid', url: `${SITE}?rb_clickid=123-456`, then: 'it is vk / cpc, Paid Social', expected: { source: 'vk', medium: 'cpc', channel: 'Paid Social', clickIdType: 'rb_clickid' } },
  { when: 'the landing has vkclid', url: `${SITE}?vkclid=abc`, then: 'it is vk / cpc', expected: { source: 'vk', medium: 'cpc', clickIdType: 'vkclid' } },
  { when: 'the landing has only fbclid', url: `${SITE}?fbclid=IwAR0`, then: 'it is facebook / social, not paid', expected: { source: 'facebook', medium: 'social', channel: 'Organic Social', clickIdType: 'fbclid' } },
  { when: 'fbclid comes from an Instagram link', url: `${SITE}?fbclid=IwAR0`, referrer: 'https://l.instagram.com/', then: 'the referrer names the network', expected: { source: 'instagram', medium: 'social', clickIdType: 'fbclid' } },
  { when: 'fbclid comes with a search-engine referrer', url: `${SITE}?fbclid=IwAR0`, referrer: 'https://www.google.com/', then: 'the click id still names facebook', expected: { source: 'facebook', medium: 'social' } },
  { when: 'the landing has gclid and fbclid', url: `${SITE}?fbclid=a&gclid=b`, then: 'the paid click id wins', expected: { source: 'google', clickIdType: 'gclid', clickId: 'b' } },
  { when: 'a click id is empty', url: `${SITE}?gclid=`, then: 'it is ignored', expected: { source: '(direct)', clickIdType: null } },
]);

// utm tags come first, are trimmed, and only source and medium are lower-cased.
runCases([
  { when: 'utm tags and a click id are both present', url: `${SITE}?utm_source=newsletter&utm_medium=email&gclid=abc`, then: 'the utm tags name the source and the click id is still recorded', expected: { source: 'newsletter', medium: 'email', channel: 'Email', clickIdType: 'gclid', clickId: 'abc' } },
  { when: 'utm values have spaces and capitals', url: `${SITE}?utm_source=%20VK%20&utm_medium=CPC&utm_campaign=%20Spring%20Sale%20&utm_content=Banner_A&utm_term=Buy%20Sofa`, then: 'they are trimmed, source and medium lower-cased, the rest kept', expected: { source: 'vk', medium: 'cpc', campaign: 'Spring Sale', content: 'Banner_A', term: 'Buy Sofa' } },
  { when: 'a utm value is longer than 255 characters', url: `${SITE}?utm_source=x&utm_campaign=${'c'.repeat(300)}`, then: 'it is cut to 255', expected: { campaign: 'c'.repeat(255) } },
  { when: 'only utm_source is given', url: `${SITE}?utm_source=partner`, then: 'the medium is (not set)', expected: { source: 'partner', medium: '(not set)', channel: 'Unassigned' } },
  { when: 'a click id comes with only utm_campaign', url: `${SITE}?yclid=1&utm_campaign=brand&utm_term=sofa`, then: 'the click id names the source and the utm tags keep campaign and term', expected: { source: 'yandex', medium: 'cpc', campaign: 'brand', term: 'sofa' } },
  { when: 'utm values are unexpanded ad-platform macros', url: `${SITE}?utm_source=yandex&utm_medium=cpc&utm_term={keyword}&utm_content={{ad_id}}`, then: 'they are treated as absent', expected: { term: null, content: null } },
  { when: 'utm tags are percent-encoded Cyrillic', url: `${SITE}?utm_source=yandex&utm_medium=cpc&utm_term=%D0%B4%D0%B8%D0%B2%D0%B0%D0%BD`, then: 'they are decoded', expected: { term: 'диван' } },
]);

// _openstat: base64 of `service;campaign;ad;placement` in every spelling, or raw.
runCases([
  { when: '_openstat is padded base64', url: `${SITE}?_openstat=ZGlyZWN0LnlhbmRleC5ydTsxMjM0NTY3ODs5ODc2NTQzMjE7eWFuZGV4LnJ1OnByZW1pdW0=`, then: 'it is yandex / cpc with campaign and ad', expected: { source: 'yandex', medium: 'cpc', campaign: '12345678', content: '987654321', channel: 'Paid Search' } },
  { when: '_openstat is unpadded base64', url: `${SITE}?_openstat=ZGlyZWN0LnlhbmRleC5ydTsxMjM0NTY3ODs5ODc2NTQzMjE7eWFuZGV4LnJ1OnByZW1pdW0`, then: 'it decodes the same', expected: { source: 'yandex', campaign: '12345678', content: '987654321' } },
  { when: '_openstat is URL-safe base64 with a Cyrillic campaign', url: `${SITE}?_openstat=ZGlyZWN0LnlhbmRleC5ydTvQktC10YHQvdCwLTIwMjU70L7QsdGK0Y_QstC70LXQvdC40LU_O3NpdGUucnU6Y29udGV4dA`, then: 'it decodes, and a partner-site placement is RSYa display', expected: { source: 'yandex', campaign: 'Весна-2025', content: 'объявление?', channel: 'Display' } },
  { when: '_openstat is standard base64 with an unencoded +', url: `${SITE}?_openstat=ZGlyZWN0LnlhbmRleC5ydTtzcHJpbmc+PjthZD8/O3lhbmRleC5ydTpwcmVtaXVt`, then: 'the + read as a space is restored', expected: { source: 'yandex', campaign: 'spring>>', content: 'ad??' } },
  { when: '_openstat is the raw form', url: `${SITE}?_openstat=direct.yandex.ru;555;777;yandex.ru:guarantee`, then: 'it is read as is', expected: { source: 'yandex', medium: 'cpc', campaign: '555', content: '777', channel: 'Paid Search' } },
  { when: '_openstat names another service', url: `${SITE}?_openstat=market.yandex.ru;1;2;`, then: 'the service names the source', expected: { source: 'yandex-market', medium: 'cpc', channel: 'Paid Shopping' } },
  { when: '_openstat is garbage', url: `${SITE}?_openstat=%%%not-base64!!`, then: 'it is ignored', expected: { source: '(direct)', channel: 'Direct' } },
  { when: '_openstat is base64 of text without fields', url: `${SITE}?_openstat=aGVsbG8gd29ybGQ`, then: 'it is ignored', expected: { source: '(direct)' } },
  { when: '_openstat comes with utm_campaign', url: `${SITE}?_openstat=direct.yandex.ru;555;777;yandex.ru&utm_campaign=own`, then: 'the utm campaign wins', expected: { source: 'yandex', campaign: 'own', content: '777' } },
]);

// from=: Yandex.Direct spellings and known sites only.
runCases([
  { when: 'from is a Yandex.Direct spelling', url: `${SITE}?from=yandex-direct`, then: 'it is yandex / cpc', expected: { source: 'yandex', medium: 'cpc' } },
  { when: 'from names a known social site', url: `${SITE}?from=dzen.ru`, then: 'it is that site', expected: { source: 'dzen', medium: 'social', channel: 'Organic Social' } },
  { when: 'from names a messenger', url: `${SITE}?from=telegram`, then: 'it is that messenger', expected: { source: 'telegram', medium: 'social', channel: 'Messengers' } },
  { when: 'from is an ordinary site parameter', url: `${SITE}?from=header`, referrer: 'https://habr.com/ru/articles/1/', then: 'it is ignored and the referrer decides', expected: { source: 'habr.com', medium: 'referral' } },
]);

// Search engines and their terms.
runCases([
  { when: 'the referrer is a Yandex search', referrer: 'https://yandex.ru/search/?text=%D0%BA%D1%83%D0%BF%D0%B8%D1%82%D1%8C+%D0%B4%D0%B8%D0%B2%D0%B0%D0%BD&lr=213', then: 'it is yandex / organic with the term', expected: { source: 'yandex', medium: 'organic', term: 'купить диван', channel: 'Organic Search' } },
  { when: 'the referrer is the bare Yandex origin', referrer: 'https://yandex.ru/', then: 'it is yandex / organic without a term', expected: { source: 'yandex', medium: 'organic', term: null } },
  { when: 'the referrer is ya.ru', referrer: 'https://ya.ru/', then: 'it is yandex', expected: { source: 'yandex', medium: 'organic' } },
  { when: 'the referrer is yandex.com.tr', referrer: 'https://yandex.com.tr/search/?text=kanepe', then: 'it is yandex with the term', expected: { source: 'yandex', term: 'kanepe' } },
  { when: 'the referrer is yandex.kz', referrer: 'https://yandex.kz/', then: 'it is yandex', expected: { source: 'yandex', medium: 'organic' } },
  { when: 'the referrer is a Google search', referrer: 'https://www.google.com/search?q=sofa+bed&hl=en', then: 'it is google / organic with the term', expected: { source: 'google', medium: 'organic', term: 'sofa bed' } },
  { when: 'the referrer is the bare google.ru origin', referrer: 'https://www.google.ru/', then: 'it is google / organic', expected: { source: 'google', medium: 'organic', term: null } },
  { when: 'the referrer is a Mail.ru search in UTF-8', referrer: 'https://go.mail.ru/search?q=%D0%B4%D0%B8%D0%B2%D0%B0%D0%BD', then: 'it is mail.ru / organic with the term', expected: { source: 'mail.ru', medium: 'organic', term: 'диван' } },
  { when: 'the referrer is a Mail.ru search in windows-1251', referrer: 'http://go.mail.ru/search?q=%E4%E8%E2%E0%ED', then: 'the term is decoded from windows-1251', expected: { source: 'mail.ru', term: 'диван' } },
  { when: 'the referrer is a Bing search', referrer: 'https://www.bing.com/search?q=corner+sofa&form=QBLH', then: 'it is bing / organic with the term', expected: { source: 'bing', medium: 'organic', term: 'corner sofa' } },
  { when: 'the referrer is a Rambler search', referrer: 'https://nova.rambler.ru/search?query=%D0%B4%D0%B8%D0%B2%D0%B0%D0%BD', then: 'it is rambler with the term', expected: { source: 'rambler', medium: 'organic', term: 'диван' } },
  { when: 'the referrer is DuckDuckGo', referrer: 'https://duckduckgo.com/', then: 'it is duckduckgo / organic', expected: { source: 'duckduckgo', medium: 'organic' } },
  { when: 'the referrer is a Baidu search in GB2312', referrer: 'http://www.baidu.com/s?ie=gb2312&wd=%C1%F7%D0%D0', then: 'it is baidu with the decoded term', expected: { source: 'baidu', term: '流行' } },
  { when: 'the referrer is another Google service', referrer: 'https://docs.google.com/', then: 'it is a referral, not a search', expected: { source: 'docs.google.com', medium: 'referral', channel: 'Referral' } },
  { when: 'the referrer is a portal the search list names', referrer: 'https://edition.cnn.com/', then: 'it is a referral', expected: { source: 'edition.cnn.com', medium: 'referral' } },
  { when: 'utm_term and a search referrer are both present', url: `${SITE}?utm_source=yandex&utm_medium=cpc&utm_term=sofa`, referrer: 'https://yandex.ru/search/?text=other', then: 'utm_term wins', expected: { term: 'sofa', medium: 'cpc' } },
]);

// The site itself is not a referrer.
runCases([
  { when: 'the referrer is the landing host', referrer: 'https://shop.example/catalog', then: 'the visit is direct', expected: { source: '(direct)', medium: '(none)', channel: 'Direct' } },
  { when: 'the referrer is a subdomain of a site host', referrer: 'https://blog.shop.example/post', then: 'the visit is direct', expected: { source: '(direct)' } },
  { when: 'the referrer is www of a site host', url: 'https://landing.example/', referrer: 'https://www.shop.example/', then: 'the visit is direct', expected: { source: '(direct)' } },
  { when: 'site hosts are written as URLs or wildcards', url: 'https://landing.example/', referrer: 'https://m.brand.example/', siteHosts: ['https://www.brand.example:443/', '*.other.example'], then: 'they still match', expected: { source: '(direct)' } },
  { when: 'site hosts are empty and the referrer is the landing host', url: 'https://solo.example/b', referrer: 'https://solo.example/a', siteHosts: [], then: 'the visit is direct', expected: { source: '(direct)' } },
  { when: 'the referrer only ends like a site host', referrer: 'https://notshop.example/', then: 'it is a referral', expected: { source: 'notshop.example', medium: 'referral' } },
]);

// No source at all.
runCases([
  { when: 'there is no referrer and no tags', then: 'the visit is (direct) / (none)', expected: { source: '(direct)', medium: '(none)', campaign: null, content: null, term: null, channel: 'Direct', clickIdType: null, clickId: null } },
  { when: 'the referrer is an empty string', referrer: '', then: 'the visit is direct', expected: { source: '(direct)' } },
  { when: 'the referrer is about:blank', referrer: 'about:blank', then: 'the visit is direct', expected: { source: '(direct)' } },
]);

// Known kinds of sites.
runCases([
  { when: 'the referrer is t.me', referrer: 'https://t.me/some_channel/123', then: 'it is telegram / social in Messengers', expected: { source: 'telegram', medium: 'social', channel: 'Messengers' } },
  { when: 'the referrer is Telegram Web', referrer: 'https://web.telegram.org/', then: 'it is telegram', expected: { source: 'telegram', channel: 'Messengers' } },
  { when: 'the referrer is the Telegram Android app', referrer: 'android-app://org.telegram.messenger/', then: 'it is telegram', expected: { source: 'telegram', channel: 'Messengers' } },
  { when: 'the referrer is WhatsApp Web', referrer: 'https://web.whatsapp.com/', then: 'it is whatsapp', expected: { source: 'whatsapp', channel: 'Messengers' } },
  { when: 'the referrer is a Viber invite', referrer: 'https://invite.viber.com/?g2=abc', then: 'it is viber', expected: { source: 'viber', channel: 'Messengers' } },
  { when: 'the referrer is Yandex Mail', referrer: 'https://mail.yandex.ru/?uid=1', then: 'it is yandex-mail / email', expected: { source: 'yandex-mail', medium: 'email', channel: 'Email' } },
  { when: 'the referrer is Mail.ru mail', referrer: 'https://e.mail.ru/inbox/', then: 'it is mail.ru-mail / email', expected: { source: 'mail.ru-mail', medium: 'email', channel: 'Email' } },
  { when: 'the referrer is Gmail', referrer: 'https://mail.google.com/', then: 'it is gmail / email', expected: { source: 'gmail', medium: 'email', channel: 'Email' } },
  { when: 'the referrer is Outlook', referrer: 'https://outlook.live.com/', then: 'it is outlook / email', expected: { source: 'outlook', medium: 'email' } },
  { when: 'the referrer is the Gmail Android app', referrer: 'android-app://com.google.android.gm/', then: 'it is gmail', expected: { source: 'gmail', medium: 'email' } },
  { when: 'the referrer is ChatGPT', referrer: 'https://chatgpt.com/', then: 'it is chatgpt / ai in AI Assistants', expected: { source: 'chatgpt', medium: 'ai', channel: 'AI Assistants' } },
  { when: 'the referrer is Perplexity', referrer: 'https://www.perplexity.ai/search?q=best+sofa', then: 'it is an AI assistant, not a search engine', expected: { source: 'perplexity', medium: 'ai', channel: 'AI Assistants' } },
  { when: 'the referrer is Yandex Alice', referrer: 'https://alice.yandex.ru/', then: 'it is an AI assistant', expected: { source: 'alice', channel: 'AI Assistants' } },
  { when: 'ChatGPT tagged the link itself', url: `${SITE}?utm_source=chatgpt.com`, then: 'it is AI Assistants', expected: { source: 'chatgpt.com', medium: '(not set)', channel: 'AI Assistants' } },
  { when: 'the referrer is Avito', referrer: 'https://www.avito.ru/moskva/mebel', then: 'it is avito / referral in Classifieds', expected: { source: 'avito', medium: 'referral', channel: 'Classifieds' } },
  { when: 'the referrer is Auto.ru', referrer: 'https://auto.ru/cars/', then: 'it is Classifieds', expected: { source: 'auto.ru', channel: 'Classifieds' } },
  { when: 'the referrer is Cian', referrer: 'https://www.cian.ru/sale/', then: 'it is Classifieds', expected: { source: 'cian', channel: 'Classifieds' } },
  { when: 'the referrer is Yandex Maps', referrer: 'https://yandex.ru/maps/org/shop/123/', then: 'it is yandex-maps / referral in Maps', expected: { source: 'yandex-maps', medium: 'referral', channel: 'Maps' } },
  { when: 'the referrer is 2GIS', referrer: 'https://2gis.ru/moscow/firm/70000001', then: 'it is Maps', expected: { source: '2gis', channel: 'Maps' } },
  { when: 'the referrer is Google Maps', referrer: 'https://www.google.com/maps/place/Shop', then: 'it is Maps', expected: { source: 'google-maps', channel: 'Maps' } },
  { when: 'the referrer is VK', referrer: 'https://vk.com/away.php?to=https%3A%2F%2Fshop.example', then: 'it is vk / social', expected: { source: 'vk', medium: 'social', channel: 'Organic Social' } },
  { when: 'the referrer is mobile VK on vk.ru', referrer: 'https://m.vk.ru/wall-1_2', then: 'it is vk', expected: { source: 'vk', medium: 'social' } },
  { when: 'the referrer is OK', referrer: 'https://ok.ru/group/1', then: 'it is ok / social', expected: { source: 'ok', medium: 'social' } },
  { when: 'the referrer is Dzen', referrer: 'https://dzen.ru/a/xyz', then: 'it is dzen / social', expected: { source: 'dzen', medium: 'social', channel: 'Organic Social' } },
  { when: 'the referrer is YouTube', referrer: 'https://www.youtube.com/', then: 'it is youtube / referral in Organic Video, as in GA4', expected: { source: 'youtube', medium: 'referral', channel: 'Organic Video' } },
  { when: 'the referrer is an unknown site', referrer: 'https://www.habr.com/ru/articles/1/', then: 'it is a referral named by its host without www', expected: { source: 'habr.com', medium: 'referral', channel: 'Referral' } },
  { when: 'the referrer is an ad-serving host', referrer: 'https://googleads.g.doubleclick.net/pagead/ads', then: 'it is google / display', expected: { source: 'google', medium: 'display', channel: 'Display' } },
]);

// RSYa (Yandex's ad network) versus Yandex search ads.
runCases([
  { when: 'a Direct ad has source_type=context', url: `${SITE}?utm_source=yandex&utm_medium=cpc&source_type=context`, then: 'it is Display', expected: { source: 'yandex', medium: 'cpc', channel: 'Display' } },
  { when: 'a Direct ad has source_type=search', url: `${SITE}?utm_source=yandex&utm_medium=cpc&source_type=search`, then: 'it is Paid Search', expected: { channel: 'Paid Search' } },
  { when: 'a Direct ad has position_type=none', url: `${SITE}?yclid=1&position_type=none`, then: 'it is Display', expected: { source: 'yandex', channel: 'Display' } },
  { when: 'a Direct ad is billed per mille on search', url: `${SITE}?utm_source=yandex&utm_medium=cpm&source_type=search`, then: 'it is Paid Search', expected: { channel: 'Paid Search' } },
  { when: 'source_type=context comes on an unpaid visit', url: `${SITE}?utm_source=yandex&utm_medium=organic&source_type=context`, then: 'it does not make it Display', expected: { channel: 'Organic Search' } },
]);

// Inputs that must not break the collector.
runCases([
  { when: 'the landing URL is not a URL', url: 'not a url at all', referrer: 'also :// not', then: 'the visit is direct', expected: { source: '(direct)', channel: 'Direct' } },
  { when: 'the landing URL is relative', url: '/landing?utm_source=vk&utm_medium=social', then: 'its tags are still read', expected: { source: 'vk', medium: 'social' } },
  { when: 'a tag has a broken percent escape', url: `${SITE}?utm_source=a%E0%A4&utm_medium=%`, then: 'it is kept as far as it decodes', expected: { source: 'a\uFFFD', medium: '%' } },
  { when: 'the referrer has no scheme', referrer: 'yandex.ru/search/?text=test', then: 'it is read as http', expected: { source: 'yandex', term: 'test' } },
  { when: 'the referrer is an IP address', referrer: 'http://192.168.0.10:8080/admin', then: 'it is a referral by IP', expected: { source: '192.168.0.10', medium: 'referral' } },
]);

test('when the input has nulls or values of wrong types, then classifyVisit returns a direct visit without throwing', () => {
  const inputs: unknown[] = [
    { url: null, referrer: null, siteHosts: [] },
    { url: 42, referrer: {}, siteHosts: 'shop.example' },
    { url: undefined, referrer: undefined, siteHosts: [null, 7] },
    null,
  ];
  for (const input of inputs) {
    const result = classifyVisit(input as Parameters<typeof classifyVisit>[0]);
    assert.equal(result.source, '(direct)');
    assert.equal(result.channel, 'Direct');
  }
});

test('when the referrer host is huge, then the referral source is cut to 255 characters', () => {
  const host = `${'a'.repeat(60)}.${'b'.repeat(60)}.${'c'.repeat(60)}.${'d'.repeat(60)}.${'e'.repeat(60)}.example`;
  const result = classifyVisit({ url: SITE, referrer: `https://${host}/`, siteHosts: SITE_HOSTS });
  assert.equal(result.source.length, 255);
  assert.equal(result.medium, 'referral');
});
