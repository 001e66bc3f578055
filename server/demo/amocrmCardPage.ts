/**
 * A page that behaves like amoCRM's deal card for the widget (amocrm.md 5.3-5.6): RequireJS and
 * jQuery (from node_modules, never the internet), the `AMOCRM` global with the current card's id,
 * and a widget loader that does what amoCRM does with an uploaded widget.zip — loads the built
 * `script.js` as a RequireJS module, constructs the widget, gives it the system methods
 * (`get_settings`, `system`, `i18n` from the zip's i18n file, `render_template` into the right-hand
 * column, `$authorizedAjax`, which fetches a disposable token from the emulator for every call and
 * sends it as `X-Auth-Token`), then calls render, init and bind_actions.
 *
 * Used by the browser tests' card host (tests/support/amocrmCardHost.ts) and by the demo, which
 * serves it next to LongFunnel (server/demo/demoFeature.ts) as its demo deal card.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface CardPageOptions {
  /** Path the page's assets are served under (`/vendor/...`, `/widget/...`): '' on a host of its own. */
  basePath?: string;
  /** The LongFunnel address the admin typed into the widget's settings. */
  serverUrl: string;
  /** `{emulator}/_accounts/{subdomain}`: where the page gets disposable tokens (amoCRM's own doing). */
  accountApiBase: string;
  clientId: string;
  subdomain: string;
  accountId: number;
  userId: number;
}

/** The widgets column of amoCRM's card is about this wide. */
export const AMOCRM_COLUMN_WIDTH = 300;

/** dist/ (this file is dist/server/demo/amocrmCardPage.js once built) and the repository beside it. */
const distDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const widgetDir = path.join(distDir, 'widget/amocrm');
const vendor: Record<string, string> = {
  '/vendor/require.js': path.join(distDir, '../node_modules/requirejs/require.js'),
  '/vendor/jquery.js': path.join(distDir, '../node_modules/jquery/dist/jquery.min.js'),
};

/** The file a card page asset path (`/vendor/...`, `/widget/...`, after the base path) names, with its content type; undefined when none. */
export function amocrmCardAsset(pathname: string): { file: string; type: string } | undefined {
  const widgetFile = pathname.startsWith('/widget/') ? path.join(widgetDir, path.normalize(pathname.slice('/widget/'.length))) : undefined;
  const file = vendor[pathname] ?? (widgetFile?.startsWith(widgetDir + path.sep) ? widgetFile : undefined);
  if (!file || !fs.existsSync(file) || !fs.statSync(file).isFile()) return undefined;
  const type = file.endsWith('.js') ? 'text/javascript' : file.endsWith('.json') ? 'application/json' : file.endsWith('.png') ? 'image/png' : 'application/octet-stream';
  return { file, type };
}

export function amocrmCardPage(options: CardPageOptions, dealId: number, lang: string, forged: boolean): string {
  const base = options.basePath ?? '';
  const config = {
    serverUrl: options.serverUrl,
    tokenUrl: `${options.accountApiBase}/_emulator/disposable_token?client_id=${encodeURIComponent(options.clientId)}&user_id=${options.userId}`,
    forged,
    lang,
  };
  return `<!doctype html><html lang="${lang}"><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>Сделка #${dealId} — amoCRM</title>
<style>
  body { margin: 0; font: 14px/1.4 "PT Sans", Arial, sans-serif; background: #f5f5f5; color: #313942; }
  .card { display: flex; min-height: 100vh; }
  .card-main { flex: 1; padding: 20px 28px; background: #fff; }
  .card-main h1 { margin: 0 0 6px; font-size: 20px; }
  .card-main .price { color: #6b7785; }
  #widgets_block { width: ${AMOCRM_COLUMN_WIDTH}px; flex: none; background: #eef1f3; padding: 12px 10px; box-sizing: border-box; }
  .card-widgets__widget { background: #fff; border-radius: 4px; box-shadow: 0 1px 2px rgba(0,0,0,.08); }
  .card-widgets__widget__caption { display: flex; align-items: center; gap: 8px; padding: 8px 10px; border-bottom: 1px solid #e4e8ec; font-weight: bold; }
  .card-widgets__widget__caption img { width: 84px; height: 29px; border-radius: 3px; }
</style>
<script src="${base}/vendor/require.js"></script>
</head><body>
<div class="card"><div class="card-main"><h1>Сделка #${dealId}</h1><div class="price">Основная воронка</div></div><div id="widgets_block"></div></div>
<script>
window.AMOCRM = {
  data: { current_card: { id: ${dealId}, model: {} } },
  constant: function (key) { return key === 'account' ? { id: ${options.accountId}, subdomain: ${JSON.stringify(options.subdomain)} } : key === 'user' ? { id: ${options.userId} } : undefined; },
  getBaseEntity: function () { return 'leads'; },
  isCard: function () { return true; },
  getWidgetsArea: function () { return 'leads_card'; }
};
window.__widget = { rendered: false, errors: [] };
window.addEventListener('error', function (event) { window.__widget.errors.push(String(event.message)); });
requirejs.config({ paths: { jquery: '${base}/vendor/jquery' } });
(function (config) {
  require(['jquery'], function ($) {
    $.getJSON('${base}/widget/i18n/' + config.lang + '.json').then(function (i18n) {
      require(['${base}/widget/script.js'], function (Widget) {
        var widget = new Widget();
        widget.params = { path: '${base}/widget', widget_code: 'longfunnel' };
        widget.get_settings = function () {
          return { server_url: config.serverUrl, widget_code: 'longfunnel', path: '${base}/widget', images_path: '${base}/widget/images', version: '1', active: 'Y', status: 'installed' };
        };
        widget.get_version = function () { return '1'; };
        widget.system = function () { return { area: 'lcard', amouser_id: ${options.userId}, subdomain: ${JSON.stringify(options.subdomain)} }; };
        widget.i18n = function (key) { return i18n[key]; };
        widget.render_template = function (options) {
          var frame = $('<div class="card-widgets__widget"><div class="card-widgets__widget__caption"><img alt="" src="${base}/widget/images/logo_medium.png"><span></span></div><div class="card-widgets__widget__body"></div></div>');
          frame.find('.card-widgets__widget__caption').addClass(options.caption.class_name).find('span').text(i18n.widget.name);
          frame.find('.card-widgets__widget__body').html(options.body + options.render);
          $('#widgets_block').append(frame);
        };
        widget.$authorizedAjax = function (options) {
          var deferred = $.Deferred();
          var send = function (token) {
            $.ajax($.extend({}, options, { headers: { 'X-Auth-Token': token } })).done(deferred.resolve).fail(deferred.reject);
          };
          if (config.forged) send('eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJhY2NvdW50X2lkIjoxfQ.Zm9yZ2Vk');
          else $.getJSON(config.tokenUrl).then(function (answer) { send(answer.token); }, deferred.reject);
          return deferred.promise();
        };
        var ok = widget.callbacks.render.call(widget) && widget.callbacks.init.call(widget) && widget.callbacks.bind_actions.call(widget);
        window.__widget.rendered = ok === true;
      });
    });
  });
})(${JSON.stringify(config)});
</script></body></html>`;
}

