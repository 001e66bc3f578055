/**
 * b24frame.js: fits the Bitrix24 frame to the panel with @bitrix24/b24jssdk's frame classes.
 *
 * `initializeB24Frame()` would bring the SDK's whole REST client (axios, luxon: 233 KB minified)
 * into a page that makes no REST call, so only the frame's own parts are bundled — AppFrame (the
 * parent's origin from `window.name` = "DOMAIN|PROTOCOL|APP_SID"), MessageManager (the postMessage
 * protocol) and ParentManager (`fitWindow`) — imported from the pinned SDK's ESM files (see
 * scripts/build-widget.mjs, which aliases `b24jssdk-frame/` to them). The handshake is the SDK's
 * own: `getInitData` first, then `resizeWindow` after every draw.
 */
import { AppFrame } from 'b24jssdk-frame/frame.mjs';
import { MessageCommands } from 'b24jssdk-frame/message/commands.mjs';
import { MessageManager } from 'b24jssdk-frame/message/controller.mjs';
import { ParentManager } from 'b24jssdk-frame/parent.mjs';

const DRAWN_EVENT = 'longfunnel:drawn';

async function start(): Promise<void> {
  const [domain, protocol, appSid] = window.name.split('|');
  if (!domain || !appSid || window.parent === window) return; // not inside a Bitrix24 frame
  const frame = new AppFrame({ DOMAIN: domain, PROTOCOL: protocol === '1', APP_SID: appSid });
  const messages = new MessageManager(frame);
  messages.subscribe();
  const init = await messages.send(MessageCommands.getInitData, {});
  frame.initData(init);
  const parent = new ParentManager(messages);
  const fit = () => void parent.fitWindow().catch(() => undefined);
  document.addEventListener(DRAWN_EVENT, fit);
  window.addEventListener('resize', fit);
  document.addEventListener('toggle', fit, true); // a visit's page list opened or closed
  fit();
}

void start().catch(() => undefined);
