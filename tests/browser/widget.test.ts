/**
 * The deal-card widget in Debian's Chromium, in both CRMs' frames:
 * - amoCRM: a page that behaves like the deal card (support/amocrmCardHost.ts) loads the built
 *   widget.zip's script.js with RequireJS and jQuery; the widget calls LongFunnel with disposable
 *   tokens the emulator issues; the panel shows the deal enriched through the emulator.
 * - Bitrix24: the emulator's card page posts the CRM_DEAL_DETAIL_TAB call into a frame; our page
 *   renders the same panel and fits the frame through the SDK's frame messages.
 * Screenshots go to docs/images/ with LF_UPDATE_SCREENSHOTS=1 (the widget guide shows them), else to a temporary directory.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { installFromWidget, startAmocrmWorld, type AmocrmWorld } from '../support/amocrmWorld.js';
import { AMOCRM_COLUMN_WIDTH, startCardHost, type CardHost } from '../support/amocrmCardHost.js';
import { testBackends } from '../support/backends.js';
import { installFromPortal, startBitrix24World, type Bitrix24World } from '../support/bitrix24World.js';
import { launchBrowser } from '../support/browser.js';
import { repoRoot } from '../support/repoRoot.js';
import { createTestSite } from '../support/tracking.js';
import { arrangedVisitIds, arrangeVisitsBeforeLead, nextOpenStage, recordTrackedCall, sendFormLead, sendVisitAfterLead, waitForMatch, waitForStageChange } from '../support/widgetDeal.js';

const backend = testBackends()[0] ?? 'embedded';
/** docs/images when LF_UPDATE_SCREENSHOTS is set (to refresh the widget guide's pictures), else a temporary directory. */
const imagesDir = process.env.LF_UPDATE_SCREENSHOTS ? path.join(repoRoot, 'docs/images') : fs.mkdtempSync(path.join(os.tmpdir(), 'longfunnel-widget-'));

/** Script errors, console errors and failed responses (the browser's own favicon request aside). */
function pageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) errors.push(message.text());
  });
  page.on('response', (response) => {
    if (response.status() >= 400 && new URL(response.url()).pathname !== '/favicon.ico') errors.push(`${response.status()} ${response.url()}`);
  });
  return errors;
}

describe('deal-card widget in amoCRM (host page like the deal card)', () => {
  let world: AmocrmWorld;
  let host: CardHost;
  let browser: Browser;
  let leadId: number;
  let stageName: string;

  before(async () => {
    world = await startAmocrmWorld(backend);
    const { tenantId } = await installFromWidget(world);
    const db = world.app.runtime.deps.db;
    const site = await createTestSite(world.app.url, { domain: 'shop.example', tenant_id: tenantId });
    const visitor = await arrangeVisitsBeforeLead(world.app.url, db, tenantId, site.key);
    leadId = world.emulator.createLead(world.subdomain, { name: 'Диван Осло', price: 45_000, custom_fields_values: [{ field_code: 'LF_VISITOR_ID', values: [{ value: visitor }] }] });
    await waitForMatch(db, tenantId, String(leadId));
    await sendVisitAfterLead(world.app.url, db, tenantId, site.key, visitor, String(leadId));
    const stage = await nextOpenStage(db, tenantId, String(leadId));
    stageName = stage.name;
    world.emulator.moveLead(world.subdomain, leadId, Number(stage.stageId));
    await world.emulator.webhooks.settle();
    await waitForStageChange(db, tenantId, String(leadId), stage.stageId);
    await sendFormLead(world.app.url, tenantId, site.key, visitor);
    await recordTrackedCall(db, tenantId, arrangedVisitIds(visitor)[1] as string, visitor);

    host = await startCardHost({
      serverUrl: world.app.url,
      accountApiBase: `${world.emulator.url}/_accounts/${world.subdomain}`,
      clientId: world.account.integration.clientId,
      subdomain: world.subdomain,
      accountId: world.account.account.id,
      userId: world.account.account.currentUserId,
    });
    browser = await launchBrowser([`--host-resolver-rules=MAP ${world.subdomain}.amocrm.ru 127.0.0.1`]);
  });

  after(async () => {
    await browser?.close();
    await host?.close();
    await world?.stop();
  });

  test('when a manager opens the deal, then the right column shows where the client came from, the visits newest first, the stage and the credit', async () => {
    const context = await browser.newContext({ viewport: { width: 1100, height: 1400 }, locale: 'ru-RU', timezoneId: 'Europe/Moscow' });
    const page = await context.newPage();
    const errors = pageErrors(page);
    await page.goto(host.cardUrl(leadId));
    await page.locator('#widgets_block .lf-summary').waitFor({ timeout: 20_000 });
    assert.equal(await page.evaluate(() => (globalThis as unknown as { __widget: { rendered: boolean } }).__widget.rendered), true, 'render, init and bind_actions returned true');

    const text = await page.locator('#widgets_block').innerText();
    for (const expected of [
      'Откуда пришёл клиент',
      'Засчитан (последний значимый)',
      'Поиск google / organic',
      'Первый источник',
      'Платный поиск yandex / cpc / sofa_msk · ключ: «купить диван»',
      'ID посетителя из формы (уверенность 100%)',
      '3 визита до заявки, 1 после',
      stageName,
      'после заявки',
      'Страница входа: /price',
      'Цели: add_to_cart',
      'Вклад визитов',
      'Форма · Прямые заходы',
      'Заказ звонка',
      'Звонок · Поиск',
      '+74950000002',
    ]) {
      assert.ok(text.toLowerCase().includes(expected.toLowerCase()), `the panel shows "${expected}":\n${text}`);
    }
    const whens = await page.locator('#widgets_block .lf-touch .lf-when').allInnerTexts();
    assert.equal(whens.length, 6, 'four visits, a call and a form');
    assert.equal(await page.locator('#widgets_block .lf-touch').first().evaluate((node) => node.classList.contains('lf-after')), true, 'newest first, highlighted');

    const width = await page.locator('#widgets_block .lf-panel').evaluate((node) => ({ client: node.clientWidth, scroll: node.scrollWidth }));
    assert.ok(width.client <= AMOCRM_COLUMN_WIDTH && width.scroll <= width.client, `the panel fits the column: ${JSON.stringify(width)}`);
    assert.deepEqual(errors, []);

    fs.mkdirSync(imagesDir, { recursive: true });
    await page.locator('#widgets_block').screenshot({ path: path.join(imagesDir, 'widget-amocrm.png') });
    assert.ok(fs.statSync(path.join(imagesDir, 'widget-amocrm.png')).size > 20_000);
    await context.close();
  });

  test('when the token is forged or the deal unknown, then the panel says why instead of staying empty', async () => {
    const context = await browser.newContext({ locale: 'en-GB' });
    const page = await context.newPage();
    await page.goto(host.cardUrl(leadId, { token: 'forged', lang: 'en' }));
    await page.locator('#widgets_block .lf-error').waitFor({ timeout: 20_000 });
    const forged = await page.locator('#widgets_block').innerText();
    assert.match(forged, /LongFunnel cannot show this deal/);
    assert.match(forged, /The session has expired: reopen the deal card\./);
    assert.match(forged, /The amoCRM token is not valid/);

    await page.goto(host.cardUrl(987_654_321, { lang: 'en' }));
    await page.locator('#widgets_block .lf-error').waitFor({ timeout: 20_000 });
    assert.match(await page.locator('#widgets_block').innerText(), /LongFunnel has no record of this deal yet\./);
    await context.close();
  });
});

describe('deal-card widget in Bitrix24 (the emulator card posting the placement call into a frame)', () => {
  let world: Bitrix24World;
  let browser: Browser;
  let dealId: number;
  let stageName: string;

  before(async () => {
    world = await startBitrix24World(backend, { portal: { languageId: 'en' } });
    const { tenantId } = await installFromPortal(world);
    const db = world.lf.runtime.deps.db;
    const site = await createTestSite(world.lf.url, { domain: 'shop.example', tenant_id: tenantId });
    const visitor = await arrangeVisitsBeforeLead(world.lf.url, db, tenantId, site.key);
    dealId = world.emulator.createDeal(world.name, { TITLE: 'Sofa Oslo', OPPORTUNITY: 45000, UF_CRM_LF_VISITOR_ID: visitor });
    await waitForMatch(db, tenantId, String(dealId));
    await sendVisitAfterLead(world.lf.url, db, tenantId, site.key, visitor, String(dealId));
    const stage = await nextOpenStage(db, tenantId, String(dealId));
    stageName = stage.name;
    world.emulator.updateDeal(world.name, dealId, { STAGE_ID: stage.stageId });
    await world.emulator.events.settle();
    await waitForStageChange(db, tenantId, String(dealId), stage.stageId);
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await world?.stop();
  });

  test('when a user opens the deal tab, then our page in the frame renders the same panel and the frame is fitted to it', async () => {
    const context = await browser.newContext({ viewport: { width: 900, height: 800 }, locale: 'en-GB', timezoneId: 'Europe/Moscow' });
    const page = await context.newPage();
    const errors = pageErrors(page);
    await page.goto(`${world.emulator.url}/_portals/${world.name}/_emulator/card?client_id=${encodeURIComponent(world.app.clientId)}&id=${dealId}`);
    const frame = page.frameLocator('#app-frame');
    await frame.locator('.lf-summary').waitFor({ timeout: 20_000 });
    const text = await frame.locator('#longfunnel-panel').innerText();
    for (const expected of [
      'Where this client came from',
      'Credited (last non-direct)',
      'Organic Search google / organic',
      'Paid Search yandex / cpc / sofa_msk · term: «купить диван»',
      'visitor id from the form (100% sure)',
      '3 visits before the lead, 1 after',
      stageName,
      'after the lead',
    ]) {
      assert.ok(text.toLowerCase().includes(expected.toLowerCase()), `the tab shows "${expected}":\n${text}`);
    }

    // The SDK's handshake reached the card: getInitData, then resizeWindow to the panel's height.
    const fitted = async () => page.evaluate(() => (globalThis as unknown as { __b24: { messages: string[]; heights: number[] } }).__b24);
    let b24 = await fitted();
    for (let attempt = 0; attempt < 50 && b24.heights.length === 0; attempt += 1) {
      await page.waitForTimeout(100);
      b24 = await fitted();
    }
    assert.ok(b24.messages.some((message) => message.startsWith('getInitData:')), JSON.stringify(b24.messages));
    const panelHeight = await frame.locator('body').evaluate((body) => body.ownerDocument.documentElement.scrollHeight);
    const frameHeight = await page.locator('#app-frame').evaluate((node) => node.getBoundingClientRect().height);
    assert.ok(b24.heights.length > 0 && frameHeight >= panelHeight - 1 && frameHeight > 400, `frame ${frameHeight}px for a ${panelHeight}px panel (${JSON.stringify(b24.heights)})`);
    assert.deepEqual(errors, []);

    fs.mkdirSync(imagesDir, { recursive: true });
    await page.screenshot({ path: path.join(imagesDir, 'widget-bitrix24.png'), fullPage: true });
    assert.ok(fs.statSync(path.join(imagesDir, 'widget-bitrix24.png')).size > 20_000);
    await context.close();
  });
});
