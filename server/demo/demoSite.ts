/**
 * The demo website: a small landing page per demo brand (one per CRM tenant), with a phone number,
 * a request form and the real tracker tag. Served on 127.0.0.1; each brand has its own host name
 * under `.localhost` (browsers resolve those to loopback), so each is its own tracked site.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface DemoBrand {
  host: string;
  name: string;
  tagline: string;
  product: string;
  phone: string;
  siteKey: string;
  /** Extra attributes of the tracker tag: `data-swap` (call tracking), `data-forms="capture"` (leads). */
  tagAttributes: string;
}

export interface DemoSite {
  port: number;
  urlOf(host: string): string;
  close(): Promise<void>;
}

const pages: Record<string, string> = { '/': 'Главная', '/prices': 'Цены', '/portfolio': 'Наши работы', '/contacts': 'Контакты' };

function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

function page(brand: DemoBrand, publicUrl: string, path: string): string {
  const title = `${pages[path] ?? 'Главная'} — ${brand.name}`;
  const nav = Object.entries(pages)
    .map(([href, label]) => `<a href="${href}">${escapeHtml(label)}</a>`)
    .join(' · ');
  return `<!doctype html>
<html lang="ru"><head><meta charset="utf-8"><link rel="icon" href="data:,"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>body{font-family:system-ui,sans-serif;margin:0;color:#1d2433}header,main,footer{max-width:760px;margin:0 auto;padding:16px}
header{display:flex;justify-content:space-between;align-items:center}.phone{font-size:1.4em;font-weight:700;color:#0b6}
form{display:grid;gap:8px;max-width:360px}input,textarea,button{font:inherit;padding:8px}button{background:#0b6;color:#fff;border:0;border-radius:4px}
.note{color:#667;font-size:.9em}</style>
<script>window.longfunnel=window.longfunnel||function(){(window.longfunnel.q=window.longfunnel.q||[]).push(arguments)}</script>
<script async src="${escapeHtml(publicUrl)}/t.js" data-site="${escapeHtml(brand.siteKey)}"${brand.tagAttributes}></script>
</head><body>
<header><strong>${escapeHtml(brand.name)}</strong><span class="phone" data-lf-phone>${escapeHtml(brand.phone)}</span></header>
<main>
<nav>${nav}</nav>
<h1>${escapeHtml(brand.tagline)}</h1>
<p>${escapeHtml(brand.product)}</p>
<h2>Оставьте заявку</h2>
<form id="request" name="request" method="post" action="#" data-lf-form="request">
<input name="name" placeholder="Имя" required autocomplete="name">
<input name="phone" type="tel" placeholder="+7 900 000-00-00" required autocomplete="tel">
<input name="email" type="email" placeholder="E-mail" autocomplete="email">
<textarea name="comment" placeholder="Комментарий"></textarea>
<button type="submit">Отправить</button>
<p id="sent" class="note" hidden>Спасибо! Менеджер перезвонит в течение 15 минут.</p>
</form>
</main>
<footer class="note">Демо-сайт LongFunnel: посещения, заявки и звонки этого сайта попадают в демо-CRM.</footer>
<script>
// The tracker's form capture (data-forms="capture") sends the request to LongFunnel's leads API.
document.getElementById('request').addEventListener('submit', function (event) {
  event.preventDefault();
  window.longfunnel('goal', 'request_form');
  document.getElementById('sent').hidden = false;
});
</script>
</body></html>`;
}

function index(brands: readonly DemoBrand[], port: number): string {
  const links = brands.map((brand) => `<li><a href="http://${brand.host}:${port}/">${escapeHtml(brand.name)}</a></li>`).join('');
  return `<!doctype html><html lang="ru"><head><meta charset="utf-8"><title>LongFunnel demo sites</title></head><body><ul>${links}</ul></body></html>`;
}

export async function startDemoSite(options: { port: number; publicUrl: string; brands: readonly DemoBrand[] }): Promise<DemoSite> {
  const server: Server = createServer((request, response) => {
    const host = (request.headers.host ?? '').replace(/:\d+$/, '').toLowerCase();
    const path = new URL(request.url ?? '/', 'http://site.invalid').pathname;
    const brand = options.brands.find((candidate) => candidate.host === host);
    if (path === '/favicon.ico') {
      response.statusCode = 204;
      response.end();
      return;
    }
    response.setHeader('content-type', 'text/html; charset=utf-8');
    response.setHeader('cache-control', 'no-store');
    if (!brand) {
      response.end(index(options.brands, (server.address() as AddressInfo).port));
      return;
    }
    if (!(path in pages)) {
      response.statusCode = 404;
      response.end('<!doctype html><title>404</title><p>Нет такой страницы. <a href="/">На главную</a></p>');
      return;
    }
    response.end(page(brand, options.publicUrl, path));
  });
  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  try {
    await listen(options.port);
  } catch (error) {
    // The preferred port is taken: any free one will do, the console prints where it is.
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || options.port === 0) throw error;
    await listen(0);
  }
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    urlOf: (host) => `http://${host}:${port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export const demoPages = Object.keys(pages);
export const demoPageTitles = pages;
