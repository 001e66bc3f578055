/** The panel's HTML (widget/shared/render.ts) for the states a card can be in, and its escaping. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DealView } from '../../../widget/shared/dealView.js';
import { formatDuration, renderProblem, renderView, shortUrl } from '../../../widget/shared/render.js';
import { textsFor } from '../../../widget/shared/i18n.js';

const NOW = Date.parse('2026-11-22T12:00:00Z');

function view(overrides: Partial<DealView> = {}): DealView {
  return {
    deal: { id: '7', name: 'Sofa', amount: 45000, currency: 'RUB', createdAt: '2026-11-21T10:00:00Z', outcome: 'open' },
    locale: 'en',
    integration: { crm: 'amocrm', status: 'active', reason: null },
    match: { method: 'visitor_id', confidence: 1, reason: null, matchedAt: '2026-11-21T10:00:05Z' },
    attribution: { model: 'last_non_direct', applied: 'last_non_direct', fallback: null, lookbackDays: 90 },
    summary: {
      firstTouch: { channel: 'Paid Search', source: 'yandex', medium: 'cpc', campaign: 'sofa', term: null },
      lastNonDirect: { channel: 'Paid Search', source: 'yandex', medium: 'cpc', campaign: 'sofa', term: null },
      credited: { channel: 'Paid Search', source: 'yandex', medium: 'cpc', campaign: 'sofa', term: null, credit: 1 },
      touchesBeforeLead: 1,
      touchesAfterLead: 0,
    },
    timeline: [
      {
        kind: 'call',
        id: 'c1',
        at: '2026-11-21T09:58:00Z',
        label: '+74950000002',
        durationSeconds: 95,
        channel: 'Paid Search',
        source: 'yandex',
        medium: 'cpc',
        campaign: 'sofa',
        term: null,
        afterLead: false,
        credit: null,
      },
      {
        kind: 'visit',
        id: 'v1',
        at: '2026-11-21T09:50:00Z',
        endedAt: '2026-11-21T09:56:00Z',
        durationSeconds: 360,
        channel: 'Paid Search',
        source: 'yandex',
        medium: 'cpc',
        campaign: 'sofa',
        term: null,
        landingUrl: 'https://shop.example/sofas/?utm_source=yandex&utm_medium=cpc&color=%D1%81%D0%B8%D0%BD%D0%B8%D0%B9',
        pageviews: 2,
        pages: ['https://shop.example/sofas/', 'https://shop.example/sofas/oslo'],
        goals: [],
        device: 'desktop',
        browser: 'Chrome',
        os: 'Windows',
        afterLead: false,
        credit: 1,
      },
    ],
    timelineOmitted: 0,
    touchpointKinds: ['visit', 'form', 'call', 'email'],
    funnel: { pipelineName: 'Sales', current: { stageId: 's2', name: 'Offer', kind: 'open', since: '2026-11-22T10:00:00Z' }, passed: [] },
    ...overrides,
  };
}

test('when a value carries HTML, then the panel shows it as text', () => {
  const evil = '<img src=x onerror=alert(1)>';
  const html = renderView(view({ summary: { ...view().summary, credited: { channel: evil, source: evil, medium: '"quoted"', campaign: evil, term: evil, credit: 1 } } }), NOW);
  assert.ok(!html.includes('<img src=x'), html);
  assert.ok(html.includes('&#60;img src=x onerror=alert(1)&#62;'));
  assert.ok(html.includes('&#34;quoted&#34;'));
});

test('when the deal has no visits, then the panel says "no visit data" and why, in the viewer\'s language', () => {
  const empty = view({
    locale: 'ru',
    match: { method: 'none', confidence: 0, reason: 'no_identity', matchedAt: null },
    summary: { firstTouch: null, lastNonDirect: null, credited: null, touchesBeforeLead: 0, touchesAfterLead: 0 },
    timeline: [],
  });
  const html = renderView(empty, NOW);
  assert.match(html, /Нет данных о визитах/);
  assert.match(html, /В сделке нет ID посетителя, телефона или e-mail/);
  assert.doesNotMatch(html, /lf-timeline/);
  const en = renderView({ ...empty, locale: 'en', match: { ...empty.match, reason: 'lease_expired' } }, NOW);
  assert.match(en, /No visit data/);
  assert.match(en, /The call came after the number&#39;s lease to the visitor had ended\./);
});

test('when the CRM needs re-authorisation or the model is Markov, then the panel says so', () => {
  const html = renderView(
    view({
      integration: { crm: 'bitrix24', status: 'needs_reauth', reason: 'refresh token revoked' },
      attribution: { model: 'markov', applied: 'last_non_direct', fallback: 'markov_in_reports', lookbackDays: 90 },
    }),
    NOW,
  );
  assert.match(html, /needs re-authorisation/);
  assert.match(html, /The data-driven model is computed in reports; the card credits by last non-direct\./);
});

test('when a call is on the timeline, then it shows its number, its length and its visit\'s source, without a credit', () => {
  const html = renderView(view(), NOW);
  assert.match(html, /lf-kind-call/);
  assert.match(html, /Call<\/span> · <span class="lf-channel">Paid Search/);
  assert.match(html, /\+74950000002/);
  assert.match(html, /Duration 1 min 35 s/);
  assert.match(html, /Deal created/, 'no stage entry recorded: the creation heads the stages');
  assert.match(html, /2 h in this stage/);
});

test('when addresses and durations are shown, then tracking tags are dropped and the two largest units kept', () => {
  assert.equal(shortUrl('https://shop.example/sofas/?utm_source=yandex&utm_medium=cpc&color=%D1%81%D0%B8%D0%BD%D0%B8%D0%B9&yclid=1'), '/sofas/?color=синий');
  assert.equal(shortUrl('https://shop.example/?gclid=1'), 'shop.example');
  assert.equal(shortUrl('https://shop.example/%D0%B4%D0%B8%D0%B2%D0%B0%D0%BD%D1%8B'), '/диваны');
  const en = textsFor('en');
  assert.equal(formatDuration(en, 45), '45 s');
  assert.equal(formatDuration(en, 95), '1 min 35 s');
  assert.equal(formatDuration(en, 720), '12 min');
  assert.equal(formatDuration(en, 3 * 86_400 + 4 * 3600 + 5 * 60), '3 d 4 h');
});

test('when the API refused, then the problem is named and its detail shown', () => {
  const html = renderProblem('en', 'session_expired', 'The amoCRM token has expired: reopen the deal card');
  assert.match(html, /The session has expired: reopen the deal card\./);
  assert.match(html, /The amoCRM token has expired/);
  assert.doesNotMatch(html, /lf-retry/);
  assert.match(renderProblem('ru', 'unreachable', undefined), /Сервер LongFunnel не отвечает[\s\S]*Повторить/);
});
