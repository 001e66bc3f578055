import type { SiteList } from './siteList.js';

/**
 * Video platforms. GA4 keeps them apart from social networks (Organic Video, Paid Video), so a
 * YouTube referrer is `youtube / referral` in Organic Video here too, although Matomo's social
 * list names YouTube.
 */
export const VIDEO_SITES: readonly SiteList[] = [
  { name: 'youtube', hosts: ['youtube.com', 'youtu.be', 'com.google.android.youtube'] },
  { name: 'rutube', hosts: ['rutube.ru'] },
  { name: 'vk-video', hosts: ['vkvideo.ru', 'vk.com/video', 'vk.ru/video'] },
  { name: 'vimeo', hosts: ['vimeo.com'] },
  { name: 'twitch', hosts: ['twitch.tv'] },
  { name: 'dailymotion', hosts: ['dailymotion.com'] },
];
