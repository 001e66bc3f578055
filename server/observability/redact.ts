/**
 * Masking of personal data and secrets before anything is logged. Pure functions: phones keep their
 * last two digits, emails their first letter and domain, secrets nothing.
 */

const secretKeyPattern =
  /(token|secret|password|passwd|authorization|cookie|api[_-]?key|refresh|access[_-]?key|client[_-]?secret|encryption[_-]?key|^auth$)/i;

const emailPattern = /([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9.-]+\.[A-Za-z]{2,})/g;
// 10 to 15 digits, optionally led by "+", grouped by spaces, dots, dashes or parentheses.
const phonePattern = /(?<![\w.-])\+?\(?\d(?:[\s().-]{0,2}\d){9,14}(?![\w:-])/g;
const bearerPattern = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/gi;
const jwtPattern = /\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g;
const urlSecretParamPattern =
  /([?&](?:access_token|refresh_token|code|client_secret|auth|AUTH_ID|REFRESH_ID|token)=)[^&\s"']+/gi;

export const REDACTED = '[redacted]';

export function maskPhone(phone: string): string {
  const digits = phone.replace(/\D/g, '');
  return `${phone.trim().startsWith('+') ? '+' : ''}${'*'.repeat(Math.max(digits.length - 2, 0))}${digits.slice(-2)}`;
}

export function maskEmail(email: string): string {
  return email.replace(emailPattern, (_match, first: string, domain: string) => `${first}***@${domain}`);
}

export function redactText(text: string): string {
  return text
    .replace(bearerPattern, (_match, scheme: string) => `${scheme} ${REDACTED}`)
    .replace(jwtPattern, REDACTED)
    .replace(urlSecretParamPattern, `$1${REDACTED}`)
    .replace(emailPattern, (_match, first: string, domain: string) => `${first}***@${domain}`)
    .replace(phonePattern, (match) => maskPhone(match));
}

/** Returns a copy of `value` with secret-named keys blanked and phones/emails/tokens masked in strings. */
export function redact(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return redactText(value);
  if (value === null || typeof value !== 'object' || depth > 8) return value;
  if (value instanceof Error) {
    return { name: value.name, message: redactText(value.message), stack: value.stack && redactText(value.stack) };
  }
  if (Array.isArray(value)) return value.map((item) => redact(item, depth + 1));
  if (value instanceof Date || Buffer.isBuffer(value)) return value;
  const copy: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    copy[key] = secretKeyPattern.test(key) && item !== undefined && item !== null ? REDACTED : redact(item, depth + 1);
  }
  return copy;
}
