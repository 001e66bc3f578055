/**
 * A page that behaves like amoCRM's deal card for the widget (amocrm.md 5.3-5.6), for real-browser
 * tests: RequireJS and jQuery (from node_modules, never the internet), the `AMOCRM` global with the
 * current card's id, and a widget loader that does what amoCRM does with an uploaded widget.zip —
 * loads the built `script.js` as a RequireJS module, constructs the widget, gives it the system
 * methods (`get_settings`, `system`, `i18n` from the zip's i18n file, `render_template` into the
 * right-hand column, `$authorizedAjax`, which fetches a disposable token from the emulator for
 * every call and sends it as `X-Auth-Token`), then calls render, init and bind_actions.
 *
 * The page itself is server/demo/amocrmCardPage.ts (the demo serves it as its deal card). Served
 * here on loopback under any host name; browsers reach it as `http://{subdomain}.amocrm.ru:PORT`
 * through Chromium's `--host-resolver-rules`, so the widget's calls come from the account's origin.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { amocrmCardAsset, amocrmCardPage, type CardPageOptions } from '../../server/demo/amocrmCardPage.js';

export { AMOCRM_COLUMN_WIDTH } from '../../server/demo/amocrmCardPage.js';

export type CardHostOptions = CardPageOptions;

export interface CardHost {
  port: number;
  /** The card page for deal `dealId` in `lang`; `token: 'forged'` makes $authorizedAjax send a made-up token. */
  cardUrl(dealId: number, options?: { lang?: 'ru' | 'en'; token?: 'forged' }): string;
  close(): Promise<void>;
}

export async function startCardHost(options: CardHostOptions): Promise<CardHost> {
  const server = http.createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://card.invalid');
    const asset = amocrmCardAsset(url.pathname);
    if (url.pathname === '/card') {
      const dealId = Number(url.searchParams.get('deal'));
      response.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
      response.end(amocrmCardPage(options, dealId, url.searchParams.get('lang') === 'en' ? 'en' : 'ru', url.searchParams.get('token') === 'forged'));
      return;
    }
    if (asset) {
      response.writeHead(200, { 'Content-Type': asset.type, 'Cache-Control': 'no-store' });
      response.end(fs.readFileSync(asset.file));
      return;
    }
    response.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    cardUrl: (dealId, cardOptions = {}) =>
      `http://${options.subdomain}.amocrm.ru:${port}/card?deal=${dealId}&lang=${cardOptions.lang ?? 'ru'}${cardOptions.token ? `&token=${cardOptions.token}` : ''}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
