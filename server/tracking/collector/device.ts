import { UAParser } from 'ua-parser-js';

export interface Device {
  /** desktop, mobile, tablet, smarttv, console, wearable, embedded */
  type: string;
  browser: string | null;
  os: string | null;
}

export function deviceOf(userAgent: string | undefined): Device {
  const result = new UAParser(userAgent ?? '').getResult();
  return {
    type: result.device.type ?? 'desktop',
    browser: result.browser.name ?? null,
    os: result.os.name ?? null,
  };
}
