import type { SiteList } from './siteList.js';

/**
 * Web mail clients: a click in a letter read there is an email visit (medium `email`), even
 * though the letter carried no utm tags. Hosts are the providers' mail front-ends, not their
 * portals: mail.ru is a portal and go.mail.ru its search engine, e.mail.ru is the mailbox.
 * Android app ids (com.google.android.gm) arrive as `android-app://` referrers.
 */
export const WEBMAIL: readonly SiteList[] = [
  { name: 'yandex-mail', hosts: ['mail.yandex.{}', 'ru.yandex.mail'] },
  { name: 'mail.ru-mail', hosts: ['e.mail.ru', 'touch.mail.ru', 'm.mail.ru', 'ru.mail.mailapp'] },
  { name: 'rambler-mail', hosts: ['mail.rambler.ru'] },
  { name: 'gmail', hosts: ['mail.google.com', 'com.google.android.gm'] },
  { name: 'outlook', hosts: ['outlook.live.com', 'outlook.office.com', 'outlook.office365.com', 'mail.live.com'] },
  { name: 'yahoo-mail', hosts: ['mail.yahoo.com', 'mail.yahoo.net', 'mail.yahoo.co.jp'] },
  { name: 'aol-mail', hosts: ['mail.aol.com'] },
  { name: 'icloud-mail', hosts: ['icloud.com/mail'] },
  { name: 'proton', hosts: ['mail.proton.me', 'mail.protonmail.com'] },
  { name: 'zoho-mail', hosts: ['mail.zoho.{}'] },
  { name: 'fastmail', hosts: ['app.fastmail.com'] },
  { name: 'tuta', hosts: ['app.tuta.com', 'mail.tutanota.com'] },
  { name: 'ukr.net-mail', hosts: ['mail.ukr.net'] },
  { name: 'seznam-mail', hosts: ['email.seznam.cz'] },
  // United Internet's brands open links through `deref-*` redirectors.
  { name: 'gmx', hosts: ['deref-gmx.{}', 'lightmailer.gmx.{}', 'lightmailer-bs.gmx.net', 'lightmailer-bap.gmx.net', 'navigator.gmx.net'] },
  { name: 'web.de', hosts: ['deref-web.de', '3c.web.de', '3c-bap.web.de', 'lightmailer-bs.web.de', 'lightmailer-bap.web.de', 'navigator.web.de'] },
  { name: 'mail.com', hosts: ['deref-mail.com', '3c-lxa.mail.com', 'lightmailer.mail.com'] },
  { name: '1und1', hosts: ['deref-1und1.de', 'deref-1und1-02.de'] },
  { name: 'ionos', hosts: ['email.ionos.{}', 'mailbusiness.ionos.{}'] },
  { name: 'bluewin', hosts: ['email.bluewin.ch', 'rich-v01.bluewin.ch', 'rich-v02.bluewin.ch'] },
  {
    name: 'orange-mail',
    hosts: ['webmail1m.orange.fr', 'mail01.orange.fr', 'mail02.orange.fr', 'wmail.orange.fr', 'messagerie.orange.fr', 'messageriepro3.orange.fr'],
  },
  { name: 't-online', hosts: ['email.t-online.de'] },
  { name: 'vodafone', hosts: ['mail.vodafone.de'] },
  { name: 'tim', hosts: ['webmail.tim.it'] },
  { name: 'upc', hosts: ['upcmail.hispeed.ch'] },
  { name: 'infomaniak', hosts: ['mail.infomaniak.com'] },
];
