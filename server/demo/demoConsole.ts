/**
 * What the demo prints for the operator: where to look, a progress line while the history is
 * generated, and the deal card once a deal is enriched. Plain lines on stdout, next to the log.
 * The admin token is printed only when the demo generated it (an operator's own is never echoed).
 */
import type { TrafficCounters } from './traffic.js';

export interface DemoBanner {
  dashboardUrl: string;
  /** Set when the demo generated the token (no ADMIN_TOKEN configured). */
  adminToken: string | undefined;
  tenants: Array<{ crm: string; tenantId: string; siteUrl: string }>;
  emulators: { amocrm: string; bitrix24: string };
  missing: string[];
  dataDir: string;
}

export interface DemoConsole {
  line(text: string): void;
  banner(banner: DemoBanner): void;
  progress(day: number, days: number, counters: TrafficCounters): void;
  endProgress(counters: TrafficCounters): void;
  dealCard(url: string | undefined, dealId: string): void;
}

const rub = (value: number) => `${Math.round(value).toLocaleString('ru-RU')} ₽`;

function summary(counters: TrafficCounters): string {
  return `${counters.visits} visits, ${counters.forms} requests, ${counters.calls} calls, ${counters.deals} deals (${counters.won} won, ${counters.lost} lost), revenue ${rub(counters.revenue)}, ad cost ${rub(counters.cost)}`;
}

export function consoleFor(stream: NodeJS.WritableStream & { isTTY?: boolean }): DemoConsole {
  const write = (text: string) => stream.write(text);
  let lastPrinted = 0;
  return {
    line: (text) => write(`${text}\n`),
    banner(banner) {
      const lines = [
        '',
        '==================== LongFunnel demo ====================',
        'No CRM is configured, so LongFunnel runs its demo: emulated amoCRM and Bitrix24 on 127.0.0.1,',
        'two demo websites with the tracker, and generated visitors, requests, calls, deals and ad costs.',
        '',
        `  Dashboard:  ${banner.dashboardUrl}`,
        banner.adminToken
          ? `              sign in with the admin token ${banner.adminToken} (generated for this demo)`
          : '              sign in with your ADMIN_TOKEN',
        ...banner.tenants.map((tenant) => `              ${tenant.crm.padEnd(9)} tenant_id ${tenant.tenantId}`),
        ...banner.tenants.map((tenant) => `  Demo site (${tenant.crm}): ${tenant.siteUrl}`),
        `  Emulated CRMs: amoCRM ${banner.emulators.amocrm}, Bitrix24 ${banner.emulators.bitrix24}`,
        `  Demo data: ${banner.dataDir} (longfunnel demo --reset starts over; DEMO=off or a CRM's keys turn the demo off)`,
        ...(banner.missing.length > 0
          ? [`  Not in this build yet: ${banner.missing.map((name) => `POST /api/v1/${name}`).join(', ')}; the demo leaves out what they would carry.`]
          : []),
        '=========================================================',
        '',
      ];
      write(`${lines.join('\n')}\n`);
    },
    progress(day, days, counters) {
      const text = `Demo: generating history, day ${day}/${days}: ${summary(counters)}`;
      if (stream.isTTY) {
        write(`\r\x1b[2K${text}`);
        return;
      }
      // Not a terminal (a log file, a test): a line every tenth of the way, not one per day.
      const step = Math.max(1, Math.ceil(days / 10));
      if (day === days || day - lastPrinted >= step) {
        lastPrinted = day;
        write(`${text}\n`);
      }
    },
    endProgress(counters) {
      if (stream.isTTY) write('\n');
      write(`Demo: history generated (${summary(counters)}); CRM steps and enrichment continue in the background, then a live trickle.\n`);
      write('Demo: the collector stamps hits with the server clock, so the whole generated history is dated today.\n');
    },
    dealCard(url, dealId) {
      write(url ? `  Deal card:  ${url}  (amoCRM deal ${dealId} with the LongFunnel widget)\n` : `Demo: amoCRM deal ${dealId} is enriched (the deal-card widget is not in this build).\n`);
    },
  };
}
