/**
 * Loads and draws the panel into a container: the loading state, the one API call, then the view
 * or a state that says why there is none. Both CRMs' entry points use this.
 */
import type { DealView, PanelLocale } from './dealView.js';
import { renderLoading, renderProblem, renderView, type PanelProblem } from './render.js';

export interface ApiAnswer {
  /** HTTP status; 0 when no answer came (network error, CORS refusal, server down). */
  status: number;
  body: unknown;
}

export interface PanelHost {
  container: HTMLElement;
  locale: PanelLocale;
  /** `GET /api/v1/widget/deals/:dealId` with the CRM's credentials. */
  fetchView(): Promise<ApiAnswer>;
  /** Called after every draw (the Bitrix24 tab fits its frame). */
  onDrawn?(): void;
}

function messageOf(body: unknown): string | undefined {
  const error = (body as { error?: { message?: unknown } } | null)?.error;
  return typeof error?.message === 'string' ? error.message : undefined;
}

function problemOf(status: number): PanelProblem {
  if (status === 0) return 'unreachable';
  if (status === 401) return 'session_expired';
  if (status === 404) return 'not_found';
  return 'server_error';
}

/** Widths of the credit bars: set through the CSSOM, which a CSP without 'unsafe-inline' allows. */
function applyBars(container: HTMLElement): void {
  container.querySelectorAll<HTMLElement>('[data-width]').forEach((bar) => {
    bar.style.width = `${Number(bar.dataset.width) || 0}%`;
  });
}

export function draw(host: PanelHost, html: string): void {
  host.container.innerHTML = html;
  host.container.classList.add('lf-panel');
  applyBars(host.container);
  host.onDrawn?.();
}

export function drawProblem(host: PanelHost, problem: PanelProblem, detail?: string): void {
  draw(host, renderProblem(host.locale, problem, detail));
  const retry = host.container.querySelector<HTMLButtonElement>('.lf-retry');
  if (retry) retry.addEventListener('click', () => void showPanel(host));
}

export async function showPanel(host: PanelHost): Promise<void> {
  draw(host, renderLoading(host.locale));
  let answer: ApiAnswer;
  try {
    answer = await host.fetchView();
  } catch {
    answer = { status: 0, body: null };
  }
  if (answer.status === 200 && answer.body && typeof answer.body === 'object') {
    draw(host, renderView(answer.body as DealView, Date.now()));
    return;
  }
  drawProblem(host, problemOf(answer.status), messageOf(answer.body));
}
