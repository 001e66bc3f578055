import type { SiteList } from './siteList.js';

/** Marketplaces and price engines: GA4's shopping sites (Organic Shopping, Paid Shopping). */
export const SHOPPING_SITES: readonly SiteList[] = [
  { name: 'yandex-market', hosts: ['market.yandex.{}'] },
  { name: 'ozon', hosts: ['ozon.ru'] },
  { name: 'wildberries', hosts: ['wildberries.ru', 'wb.ru'] },
  { name: 'megamarket', hosts: ['megamarket.ru'] },
  { name: 'aliexpress', hosts: ['aliexpress.{}'] },
  { name: 'kaspi', hosts: ['kaspi.kz'] },
  { name: 'amazon', hosts: ['amazon.{}'] },
  { name: 'ebay', hosts: ['ebay.{}'] },
  { name: 'etsy', hosts: ['etsy.com'] },
  { name: 'google-shopping', hosts: ['shopping.google.{}'] },
];
