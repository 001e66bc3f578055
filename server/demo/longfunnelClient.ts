/**
 * The demo's traffic generator talks to LongFunnel only as its users' systems do: the tracker's
 * `POST /collect`, the public leads, calls and costs APIs, and the admin API. Nothing here touches
 * the database.
 */

export class DemoHttpError extends Error {
  constructor(
    readonly route: string,
    readonly status: number,
    readonly body: string,
  ) {
    super(`${route} answered ${status}: ${body.slice(0, 300)}`);
    this.name = 'DemoHttpError';
  }
}

export interface TrackerHit {
  site: string;
  type: 'pageview' | 'goal';
  visitor: string;
  visit: string;
  url: string;
  landing: string;
  title?: string;
  referrer?: string;
  goal?: string;
  value?: number;
  screen?: string;
  /** Version 2 (call tracking): the visit's first hit on a page whose tag has `data-swap` asks which phone it shows. */
  swap?: 1;
}

/** The collector's answer to a `swap` hit: digits (after the country code) of the site's number and of this visit's. */
export interface SwapAnswer {
  phone?: [string, string];
  ttl: number;
}

export interface Browser {
  userAgent: string;
  /** The visitor's address as the proxy in front of LongFunnel reports it (X-Forwarded-For). */
  ip: string;
}

export class LongfunnelClient {
  constructor(
    readonly url: string,
    private readonly adminToken: string,
  ) {}

  private async call(method: string, path: string, init: { headers?: Record<string, string>; body?: string } = {}): Promise<Response> {
    return fetch(`${this.url}${path}`, { method, ...init, signal: AbortSignal.timeout(30_000) });
  }

  private async json<T>(method: string, path: string, body: unknown, headers: Record<string, string>, expected: number[]): Promise<T> {
    const response = await this.call(method, path, { headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
    const text = await response.text();
    if (!expected.includes(response.status)) throw new DemoHttpError(`${method} ${path.split('?')[0]}`, response.status, text);
    return (text ? JSON.parse(text) : {}) as T;
  }

  private admin(): Record<string, string> {
    return { authorization: `Bearer ${this.adminToken}` };
  }

  /** A tracker hit exactly as t.js sends it (text/plain JSON, the page's Origin); a `swap` hit answers its numbers. */
  async collect(hit: TrackerHit, browser: Browser, origin: string): Promise<SwapAnswer | undefined> {
    const response = await this.call('POST', '/collect', {
      headers: {
        'content-type': 'text/plain;charset=UTF-8',
        origin,
        'user-agent': browser.userAgent,
        'x-forwarded-for': browser.ip,
      },
      body: JSON.stringify({ v: hit.swap ? 2 : 1, ...hit, ts: Date.now() }),
    });
    if (response.status === 200 && hit.swap) return (await response.json()) as SwapAnswer;
    if (response.status !== 204 && response.status !== 202) throw new DemoHttpError('POST /collect', response.status, await response.text());
    return undefined;
  }

  /**
   * A submitted form as the tracker's form capture sends it (`data-forms="capture"`): the page's
   * Origin, `fields` as `[type, name, value]`.
   */
  async captureForm(
    body: { site: string; visitor: string; form: string; page: string; fields: Array<[string, string, string]> },
    browser: Browser,
    origin: string,
  ): Promise<void> {
    const response = await this.call('POST', '/api/v1/leads', {
      headers: { 'content-type': 'text/plain;charset=UTF-8', origin, 'user-agent': browser.userAgent, 'x-forwarded-for': browser.ip },
      body: JSON.stringify(body),
    });
    if (response.status !== 202) throw new DemoHttpError('POST /api/v1/leads', response.status, await response.text());
  }

  async put<T>(path: string, body: unknown): Promise<T> {
    return this.json<T>('PUT', path, body, this.admin(), [200]);
  }

  async patch<T>(path: string, body: unknown): Promise<T> {
    return this.json<T>('PATCH', path, body, this.admin(), [200]);
  }

  async createSite(input: { domain: string; tenantId: string }): Promise<{ id: string; key: string; tag: string }> {
    return this.json('POST', '/api/v1/sites', { domain: input.domain, tenant_id: input.tenantId }, this.admin(), [201]);
  }

  async createApiKey(tenantId: string, label: string): Promise<string> {
    const answer = await this.json<{ key: string }>('POST', `/api/v1/tenants/${encodeURIComponent(tenantId)}/api-keys`, { label }, this.admin(), [201]);
    return answer.key;
  }

  /**
   * Whether a route of a branch that may not have landed yet exists: an empty request to it
   * answers anything but the router's own 404 `route_not_found`.
   */
  async hasRoute(method: string, path: string): Promise<boolean> {
    const response = await this.call(method, path, { headers: { 'content-type': 'application/json' }, body: method === 'GET' ? undefined : '{}' });
    const text = await response.text();
    return !(response.status === 404 && text.includes('route_not_found'));
  }

  /** POST with JSON; answers the parsed body. */
  async post<T>(path: string, body: unknown, headers: Record<string, string>, expected: number[] = [200, 201, 202]): Promise<T> {
    return this.json<T>('POST', path, body, headers, expected);
  }

  /** POST of a CSV body. */
  async postCsv<T>(path: string, csv: string, headers: Record<string, string>): Promise<T> {
    const response = await this.call('POST', path, { headers: { 'content-type': 'text/csv', ...headers }, body: csv });
    const text = await response.text();
    if (response.status >= 300) throw new DemoHttpError(`POST ${path.split('?')[0]}`, response.status, text);
    return (text ? JSON.parse(text) : {}) as T;
  }

  async get<T>(path: string, headers: Record<string, string> = this.admin()): Promise<T> {
    const response = await this.call('GET', path, { headers });
    const text = await response.text();
    if (response.status !== 200) throw new DemoHttpError(`GET ${path.split('?')[0]}`, response.status, text);
    return JSON.parse(text) as T;
  }
}
