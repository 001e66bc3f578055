import type { SiteList } from './siteList.js';

/**
 * Messengers get their own channel group (Messengers): in Russian-speaking markets Telegram
 * channels and WhatsApp chats bring as much traffic as social networks. Named by short name with
 * medium `social`; paid messenger traffic (Telegram Ads) still counts as Paid Social.
 */
export const MESSENGERS: readonly SiteList[] = [
  { name: 'telegram', hosts: ['t.me', 'telegram.me', 'telegram.org', 'web.telegram.org', 'org.telegram.messenger'] },
  { name: 'whatsapp', hosts: ['wa.me', 'whatsapp.com', 'web.whatsapp.com', 'api.whatsapp.com', 'chat.whatsapp.com', 'com.whatsapp'] },
  { name: 'viber', hosts: ['viber.com', 'invite.viber.com', 'com.viber.voip'] },
  { name: 'max', hosts: ['max.ru', 'web.max.ru'] },
  { name: 'vk-messenger', hosts: ['vk.me'] },
  { name: 'messenger', hosts: ['messenger.com', 'm.me', 'com.facebook.orca'] },
  { name: 'signal', hosts: ['signal.me', 'signal.org'] },
  { name: 'skype', hosts: ['web.skype.com', 'join.skype.com'] },
  { name: 'slack', hosts: ['slack.com', 'app.slack.com'] },
  { name: 'line', hosts: ['line.me'] },
];
