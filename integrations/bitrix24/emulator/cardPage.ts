/**
 * `GET /_portals/{portal}/_emulator/card?client_id=…&id=…[&placement=CRM_DEAL_DETAIL_TAB][&user_id=1]`:
 * a CRM card as a browser sees it, for tests in a real browser. Like Bitrix24's own card it shows
 * the app's tab as an iframe named `DOMAIN|PROTOCOL|APP_SID` and opens it with the widget's form
 * POST (bitrix24.md 5.3, the same fields `openPlacement` sends) targeted at that frame; then it
 * answers the frame's messages (5.4): `getInitData` with the init data, `resizeWindow` by resizing
 * the frame. Replies go only to the frame and only for its APP_SID. The page is served over the
 * emulator's http, so `PROTOCOL` is 0. What the frame asked is kept in `window.__b24` for tests.
 */
import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { placementCall, type LifecycleContext } from './lifecycle.js';
import type { App, Portal } from './state.js';

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
/** JSON inside a <script>: no `</script>` can close it early. */
const scriptJson = (value: unknown) => JSON.stringify(value).replace(/</g, '\\u003c');

export function sendCardPage(context: LifecycleContext, response: ServerResponse, portal: Portal, app: App, placement: string, entityId: number, userId: number): void {
  const appSid = randomBytes(16).toString('hex');
  const call = placementCall(context, app, placement, entityId, userId, 0, appSid);
  const fields = [...new URLSearchParams(call.body)];
  const body = Object.fromEntries(fields);
  const user = portal.users.find((candidate) => candidate.id === userId);
  const frameName = `${portal.domain}|0|${appSid}`;
  const registration = context.state.placements.find((row) => row.clientId === app.clientId && row.placement === placement);
  const tabTitle = registration?.langAll[portal.languageId]?.TITLE || registration?.title || placement;
  const initData = {
    DOMAIN: portal.domain,
    PROTOCOL: 0,
    PATH: '/',
    LANG: portal.languageId,
    MEMBER_ID: portal.memberId,
    IS_ADMIN: user?.isAdmin === true,
    AUTH_ID: body['AUTH_ID'],
    REFRESH_ID: body['REFRESH_ID'],
    AUTH_EXPIRES: Number(body['AUTH_EXPIRES']),
    APP_OPTIONS: {},
    USER_OPTIONS: {},
    PLACEMENT: placement,
    PLACEMENT_OPTIONS: JSON.parse(body['PLACEMENT_OPTIONS'] ?? '{}') as unknown,
    INSTALL: false,
    FIRST_RUN: false,
  };
  const inputs = fields.map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`).join('');
  const html = `<!doctype html><html lang="${escapeHtml(portal.languageId)}"><head><meta charset="utf-8"><title>Deal ${entityId} (Bitrix24 emulator)</title>
<style>body{margin:0;font:14px/1.4 Arial,sans-serif;background:#eef2f4;color:#333}header{padding:12px 20px;background:#fff;border-bottom:1px solid #dfe3e6;font-size:18px}
.tabs{display:flex;gap:16px;padding:8px 20px 0}.tabs span{padding:6px 2px}.tabs .active{border-bottom:2px solid #2fc6f6;font-weight:bold}
.tab{margin:0 20px 20px;background:#fff;border-radius:8px;padding:4px}iframe{display:block;width:100%;height:150px;border:0}</style></head>
<body><header>Deal #${entityId}</header><div class="tabs"><span>General</span><span class="active">${escapeHtml(tabTitle)}</span></div>
<div class="tab"><iframe id="app-frame" name="${escapeHtml(frameName)}" title="${escapeHtml(placement)}"></iframe></div>
<form id="placement-post" method="POST" action="${escapeHtml(call.url)}" target="${escapeHtml(frameName)}">${inputs}</form>
<script>
(function () {
  var appSid = ${scriptJson(appSid)};
  var initData = ${scriptJson(initData)};
  var frame = document.getElementById('app-frame');
  window.__b24 = { messages: [], heights: [] };
  window.addEventListener('message', function (event) {
    if (event.source !== frame.contentWindow || typeof event.data !== 'string') return;
    var text = event.data;
    window.__b24.messages.push(text);
    var colon = text.indexOf(':');
    var command = colon < 0 ? text : text.slice(0, colon);
    var parts = colon < 0 ? [] : text.slice(colon + 1).split(':');
    var sid = parts.pop();
    var callback = parts.pop();
    var params = parts.join(':');
    if (sid !== appSid || !callback) return;
    var reply = {};
    if (command === 'getInitData') reply = initData;
    if (command === 'resizeWindow' && params) {
      var size = JSON.parse(params);
      frame.style.height = Math.ceil(Number(size.height)) + 'px';
      window.__b24.heights.push(Number(size.height));
    }
    event.source.postMessage(callback + ':' + JSON.stringify(reply), event.origin);
  });
  document.getElementById('placement-post').submit();
})();
</script></body></html>`;
  response.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
  response.end(html);
}
