/**
 * The demo's traffic mix: where simulated visitors come from, as the landing URL and referrer a
 * browser would carry (the collector classifies them; nothing here decides a channel), and what a
 * click costs on the paid ones (for the ad-cost import).
 */
import type { Random } from './random.js';

export interface ChannelSpec {
  /** Our name for the mix entry (console, costs); the product's channel comes from classification. */
  name: string;
  weight: number;
  /** How likely a visit from here ends in a form or a call, relative to the average. */
  intent: number;
  /** Query string added to the landing page (without `?`), or '' for none; `phrases`: what the site's visitors search for. */
  query(random: Random, phrases: readonly string[]): string;
  referrer(random: Random, phrases: readonly string[]): string;
  /**
   * Paid channels: the cost row this visit adds to (utm as the ad platform's export names it) and
   * the price of a click; a tracked visit is billed as 1.25 clicks (some clickers leave before the page loads).
   */
  cost?: { source: string; medium: string; campaign: (query: string) => string; perClick: [number, number] };
}

const yandexCampaigns = ['search_brand', 'search_generic', 'rsya_retarget'];
const googleCampaigns = ['search_generic', 'pmax_main'];
const vkCampaigns = ['vk_lookalike', 'vk_retarget'];

function clickId(random: Random, length: number): string {
  let id = '';
  for (let index = 0; index < length; index += 1) id += String(random.int(0, 9));
  return id;
}

function campaignOf(query: string): string {
  return new URLSearchParams(query).get('utm_campaign') ?? '(not set)';
}

export const channelMix: readonly ChannelSpec[] = [
  {
    name: 'Yandex.Direct',
    weight: 24,
    intent: 1.2,
    query: (random, phrases) => {
      const campaign = random.pick(yandexCampaigns);
      const term = encodeURIComponent(random.pick(phrases));
      return `utm_source=yandex&utm_medium=cpc&utm_campaign=${campaign}&utm_term=${term}&yclid=${clickId(random, 19)}`;
    },
    referrer: (random) => (random.chance(0.7) ? 'https://yandex.ru/' : ''),
    cost: { source: 'yandex', medium: 'cpc', campaign: campaignOf, perClick: [180, 420] },
  },
  {
    name: 'Google Ads',
    weight: 12,
    intent: 1.1,
    query: (random) => `utm_source=google&utm_medium=cpc&utm_campaign=${random.pick(googleCampaigns)}&gclid=Cj0KCQiA${clickId(random, 14)}BhAB`,
    referrer: () => 'https://www.google.com/',
    cost: { source: 'google', medium: 'cpc', campaign: campaignOf, perClick: [150, 380] },
  },
  {
    name: 'Yandex organic',
    weight: 18,
    intent: 1,
    query: () => '',
    referrer: (random, phrases) => `https://yandex.ru/search/?text=${encodeURIComponent(random.pick(phrases))}`,
  },
  {
    name: 'Google organic',
    weight: 8,
    intent: 0.9,
    query: () => '',
    referrer: () => 'https://www.google.com/',
  },
  {
    name: 'VK Ads',
    weight: 9,
    intent: 0.6,
    query: (random) => `utm_source=vk&utm_medium=cpc&utm_campaign=${random.pick(vkCampaigns)}&utm_content=ad_${random.int(1, 6)}`,
    referrer: () => 'https://vk.com/',
    cost: { source: 'vk', medium: 'cpc', campaign: campaignOf, perClick: [60, 160] },
  },
  {
    name: 'Telegram',
    weight: 6,
    intent: 0.7,
    query: (random) => (random.chance(0.5) ? 'utm_source=telegram&utm_medium=social&utm_campaign=channel_post' : ''),
    referrer: () => 'https://t.me/',
  },
  {
    name: 'Avito',
    weight: 6,
    intent: 1.3,
    query: () => '',
    referrer: () => 'https://www.avito.ru/',
  },
  {
    name: 'Email newsletter',
    weight: 5,
    intent: 1.4,
    query: (random) => `utm_source=newsletter&utm_medium=email&utm_campaign=${random.pick(['autumn_sale', 'november_digest'])}`,
    referrer: () => '',
  },
  {
    name: 'Direct',
    weight: 12,
    intent: 1.1,
    query: () => '',
    referrer: () => '',
  },
];

export function pickChannel(random: Random): ChannelSpec {
  return random.weighted(channelMix, (channel) => channel.weight);
}
