/**
 * The tracker's form capture sends a form's filled fields as `[type, name, value]` (tracker/src/
 * forms.ts: sorting them there would cost the tracker bytes). This tells the lead's parts apart: a
 * field's type first, then its name — `tel`/`phone`/`телефон` is the phone, `email`/`mail`/`почта`
 * the e-mail, `name`/`fio`/`имя`/`фио` the name, a textarea or `comment`/`message`/`question`/
 * `комментарий`/`сообщение`/`вопрос` the comment. The first field of each kind wins.
 */
export interface FormLeadParts {
  name?: string;
  phone?: string;
  email?: string;
  comment?: string;
}

const kinds: Array<[keyof FormLeadParts, RegExp]> = [
  ['phone', /tel|phone|телефон/i],
  ['email', /mail|почт/i],
  ['name', /name|fio|имя|фио/i],
  ['comment', /textarea|comm|mess|question|text_?area|коммент|сообщ|вопрос/i],
];

export function leadPartsOfFields(fields: ReadonlyArray<readonly [string, string, string]>): FormLeadParts {
  const parts: FormLeadParts = {};
  for (const [type, name, value] of fields) {
    if (!value.trim()) continue;
    // The type decides when it says something (type=email name=login is an e-mail); then the name.
    const kind = kinds.find(([, pattern]) => pattern.test(type))?.[0] ?? kinds.find(([, pattern]) => pattern.test(name))?.[0];
    if (kind && parts[kind] === undefined) parts[kind] = value.trim();
  }
  return parts;
}
