import type { SiteList } from './siteList.js';

/** Classified-ad sites: their own channel group (Classifieds), named by short name, medium `referral`. */
export const CLASSIFIEDS: readonly SiteList[] = [
  { name: 'avito', hosts: ['avito.ru', 'com.avito.android'] },
  { name: 'youla', hosts: ['youla.ru'] },
  { name: 'auto.ru', hosts: ['auto.ru'] },
  { name: 'drom', hosts: ['drom.ru'] },
  { name: 'farpost', hosts: ['farpost.ru'] },
  { name: 'cian', hosts: ['cian.ru'] },
  { name: 'domclick', hosts: ['domclick.ru'] },
  { name: 'irr', hosts: ['irr.ru'] },
  { name: 'profi.ru', hosts: ['profi.ru'] },
  { name: 'kufar', hosts: ['kufar.by'] },
  { name: 'olx', hosts: ['olx.{}'] },
  { name: 'krisha', hosts: ['krisha.kz'] },
  { name: 'kolesa', hosts: ['kolesa.kz'] },
];
