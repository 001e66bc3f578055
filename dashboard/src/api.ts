/**
 * The reports API (docs/reports.md) as the page uses it. Every call carries the credential in the
 * Authorization header, never in the URL; with the admin token the tenant goes in `tenant_id`.
 * The answers' types are the server's own: server/reports/answers.ts.
 */
import type { CostImportAnswer, ReportModel } from '../../server/reports/answers.js';

export const MODELS: readonly ReportModel[] = ['first', 'last', 'last_non_direct', 'linear', 'time_decay', 'position_based', 'markov'];

export interface Credential {
  kind: 'session' | 'admin';
  token: string;
  /** With the admin token only. */
  tenantId?: string;
}

/** A failed call: the HTTP status and the server's own message. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export type Params = Record<string, string | number | undefined>;

export class Api {
  constructor(private readonly credential: Credential) {}

  get kind(): Credential['kind'] {
    return this.credential.kind;
  }

  url(path: string, params: Params = {}): string {
    const search = new URLSearchParams();
    for (const [name, value] of Object.entries(params)) {
      if (value !== undefined && value !== '') search.set(name, String(value));
    }
    if (this.credential.kind === 'admin' && this.credential.tenantId) search.set('tenant_id', this.credential.tenantId);
    const query = search.toString();
    return query ? `${path}?${query}` : path;
  }

  private async request(path: string, params: Params, init: RequestInit = {}): Promise<Response> {
    let response: Response;
    try {
      response = await fetch(this.url(path, params), {
        ...init,
        headers: { ...(init.headers as Record<string, string> | undefined), Authorization: `Bearer ${this.credential.token}` },
        credentials: 'omit',
        cache: 'no-store',
      });
    } catch (error) {
      throw new ApiError(0, 'network', error instanceof Error ? error.message : String(error));
    }
    if (!response.ok) {
      let code = 'http_error';
      let message = `HTTP ${response.status}`;
      try {
        const body = (await response.json()) as { error?: { code?: string; message?: string } };
        code = body.error?.code ?? code;
        message = body.error?.message ?? message;
      } catch {
        // Not our JSON error body (a proxy's page): the status says enough.
      }
      throw new ApiError(response.status, code, message);
    }
    return response;
  }

  async json<T>(path: string, params: Params = {}): Promise<T> {
    return (await (await this.request(path, params)).json()) as T;
  }

  /** A report as CSV, handed to the browser as a download (a Blob: the token never enters a URL). */
  async downloadCsv(path: string, params: Params, fallbackName: string): Promise<void> {
    const response = await this.request(path, { ...params, format: 'csv' });
    const blob = await response.blob();
    const disposition = response.headers.get('content-disposition') ?? '';
    const name = /filename="([^"]+)"/.exec(disposition)?.[1] ?? fallbackName;
    const href = URL.createObjectURL(blob);
    const link = document.createElement('a');
    link.href = href;
    link.download = name;
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(href), 10_000);
  }

  async uploadCosts(csv: Blob, mapping: string): Promise<CostImportAnswer> {
    const response = await this.request('/api/v1/costs', { mapping }, { method: 'POST', headers: { 'Content-Type': 'text/csv' }, body: csv });
    return (await response.json()) as CostImportAnswer;
  }
}
