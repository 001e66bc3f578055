/** Numbers as people read them in the current locale. */
import { locale, t } from './i18n.js';

const intlLocale = () => (locale() === 'ru' ? 'ru-RU' : 'en-US');

/** Counts; attributed counts are fractional, shown with up to two decimals. */
export function count(value: number | null | undefined): string {
  if (value === null || value === undefined) return '—';
  return new Intl.NumberFormat(intlLocale(), { maximumFractionDigits: 2 }).format(value);
}

export function money(value: number | null | undefined, currency: string): string {
  if (value === null || value === undefined) return '—';
  try {
    return new Intl.NumberFormat(intlLocale(), { style: 'currency', currency, minimumFractionDigits: 0, maximumFractionDigits: 2 }).format(value);
  } catch {
    return `${count(value)} ${currency}`;
  }
}

/** Money on a chart axis: short (1,2 млн ₽). */
export function compactMoney(value: number, currency: string): string {
  try {
    return new Intl.NumberFormat(intlLocale(), { style: 'currency', currency, notation: 'compact', maximumFractionDigits: 1 }).format(value);
  } catch {
    return count(value);
  }
}

/** A chart's date label: 9 Nov / 9 нояб. */
export function shortDate(unixSeconds: number): string {
  return new Intl.DateTimeFormat(intlLocale(), { day: 'numeric', month: 'short', timeZone: 'UTC' }).format(new Date(unixSeconds * 1000));
}

/** A fraction (0.25) as a percentage; null (no denominator) as a dash. */
export function percent(value: number | null | undefined): string {
  if (value === null || value === undefined) return '—';
  return new Intl.NumberFormat(intlLocale(), { style: 'percent', maximumFractionDigits: 1 }).format(value);
}

export function duration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined) return '—';
  if (seconds >= 86_400) return t().days(Math.round((seconds / 86_400) * 10) / 10);
  if (seconds >= 3_600) return t().hours(Math.round((seconds / 3_600) * 10) / 10);
  return t().minutes(Math.round(seconds / 60));
}

/** YYYY-MM-DD of a date, in UTC (the reports' time zone for now). */
export function isoDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}
