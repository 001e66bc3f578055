import { categoryOfSource } from './sourceCategories.js';

/**
 * Channel groups: GA4's default channel group rules, evaluated in GA4's order, plus four groups
 * for Russian-speaking markets (AI Assistants, Messengers, Classifieds, Maps) placed after the
 * paid groups so paid traffic stays paid. Rules match case-insensitively, like GA4's.
 */
export const CHANNEL_GROUPS = [
  'Direct',
  'Cross-network',
  'Paid Shopping',
  'Paid Search',
  'Paid Social',
  'Paid Video',
  'Display',
  'Paid Other',
  'AI Assistants',
  'Messengers',
  'Classifieds',
  'Maps',
  'Organic Shopping',
  'Organic Social',
  'Organic Video',
  'Organic Search',
  'Referral',
  'Email',
  'Affiliates',
  'Audio',
  'SMS',
  'Mobile Push Notifications',
  'Unassigned',
] as const;

export type ChannelGroup = (typeof CHANNEL_GROUPS)[number];

/**
 * Where an ad platform says the ad was shown, as GA4 uses "Google Ads ad network type" for
 * Google Ads traffic. We know it for Yandex Direct: search results or its ad network (RSYa).
 */
export type AdNetworkType = 'search' | 'display';

export interface ChannelInput {
  readonly source: string;
  readonly medium: string;
  readonly campaign: string | null;
  readonly adNetwork: AdNetworkType | null;
}

const PAID_MEDIUM = /^(.*cp.*|ppc|retargeting|paid.*)$/i;
const DISPLAY_MEDIUMS = new Set(['display', 'banner', 'expandable', 'interstitial', 'cpm']);
const SHOPPING_CAMPAIGN = /^(.*(([^a-df-z]|^)shop|shopping).*)$/i;
const SOCIAL_MEDIUMS = new Set(['social', 'social-network', 'social-media', 'sm', 'social network', 'social media']);
const VIDEO_MEDIUM = /^(.*video.*)$/i;
const EMAIL = /^(email|e-mail|e_mail|e mail)$/i;
const REFERRAL_MEDIUMS = new Set(['referral', 'app', 'link']);

export function isPaidMedium(medium: string): boolean {
  return PAID_MEDIUM.test(medium);
}

export function channelGroupOf(input: ChannelInput): ChannelGroup {
  const source = input.source.toLowerCase();
  const medium = input.medium.toLowerCase();
  const campaign = input.campaign ?? '';
  const category = categoryOfSource(source);
  const paid = isPaidMedium(medium);
  const shopping = category === 'shopping' || SHOPPING_CAMPAIGN.test(campaign);

  if (source === '(direct)' && (medium === '(none)' || medium === '(not set)')) return 'Direct';
  if (input.adNetwork === 'display') return 'Display';
  if (input.adNetwork === 'search') return 'Paid Search';
  if (campaign.toLowerCase().includes('cross-network')) return 'Cross-network';
  if (paid) {
    if (shopping) return 'Paid Shopping';
    if (category === 'search') return 'Paid Search';
    if (category === 'social' || category === 'messenger') return 'Paid Social';
    if (category === 'video') return 'Paid Video';
  }
  if (DISPLAY_MEDIUMS.has(medium)) return 'Display';
  if (paid) return 'Paid Other';
  if (category === 'ai' || medium === 'ai') return 'AI Assistants';
  if (category === 'messenger') return 'Messengers';
  if (category === 'classifieds') return 'Classifieds';
  if (category === 'maps') return 'Maps';
  if (shopping) return 'Organic Shopping';
  if (category === 'social' || SOCIAL_MEDIUMS.has(medium)) return 'Organic Social';
  if (category === 'video' || VIDEO_MEDIUM.test(medium)) return 'Organic Video';
  if (category === 'search' || medium === 'organic') return 'Organic Search';
  if (REFERRAL_MEDIUMS.has(medium)) return 'Referral';
  if (EMAIL.test(source) || EMAIL.test(medium)) return 'Email';
  if (medium === 'affiliate') return 'Affiliates';
  if (medium === 'audio') return 'Audio';
  if (source === 'sms' || medium === 'sms') return 'SMS';
  if (medium.endsWith('push') || medium.includes('mobile') || medium.includes('notification') || source === 'firebase') {
    return 'Mobile Push Notifications';
  }
  return 'Unassigned';
}
