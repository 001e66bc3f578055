import type { SiteList } from './siteList.js';

/**
 * Map services: their own channel group (Maps), named by short name, medium `referral`. The
 * organisation card in Yandex search (yandex.ru/profile) belongs to Yandex Maps' business data.
 */
export const MAPS: readonly SiteList[] = [
  { name: 'yandex-maps', hosts: ['maps.yandex.{}', 'yandex.{}/maps', 'yandex.{}/profile', 'ya.ru/maps', 'ru.yandex.yandexmaps'] },
  { name: '2gis', hosts: ['2gis.{}', '2gis.com', 'ru.dublgis.dgismobile'] },
  { name: 'google-maps', hosts: ['maps.google.{}', 'google.{}/maps', 'maps.app.goo.gl', 'com.google.android.apps.maps'] },
  { name: 'apple-maps', hosts: ['maps.apple.com'] },
];
