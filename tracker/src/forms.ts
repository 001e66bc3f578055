/**
 * Forms (docs/lead-capture.md "Forms"). A form gets a hidden `_lfid` input with the visitor id the
 * moment it is used — a field focused, or the form submitted — in the capture phase, before any of
 * the site's own handlers (or a form builder's) read the form; forms added later are covered alike.
 * Never duplicated: a form that has an `_lfid` field (`form._lfid`, the form's named control) keeps
 * it, and an empty one is filled.
 *
 * With the tag's `data-forms="capture"`, a submitted form is also sent to `POST /api/v1/leads` with
 * sendBeacon, as `fields`: `[type, name, value]` of each filled text-like field (types text, tel,
 * textarea, email, number, select; never hidden, password, checkbox or file ones). The server tells
 * the name, phone, e-mail and comment apart and refuses, storing nothing, a form without a phone or
 * an e-mail (a search or login form) (server/leads/formFields.ts). The site's own submit goes on
 * untouched: bytes are the budget here, so the sorting is the server's.
 */
import type { TagOptions } from './tag.js';
import { visitorId } from './tracker.js';
import { transmit } from './transport.js';

/** A form's controls are also its properties (`form._lfid`), and override its own (a field named `id` hides `form.id`). */
type LeadForm = HTMLFormElement & { _lfid?: HTMLInputElement };

export function watchForms(tag: TagOptions): void {
  const use = (event: Event) => {
    try {
      const target = event.target as HTMLInputElement;
      const form = (target.form || target) as LeadForm;
      if (visitorId && form.elements) {
        if (!form._lfid) form.insertAdjacentHTML('beforeend', '<input type=hidden name=_lfid>');
        const input = form._lfid as HTMLInputElement;
        if (!input.value) input.value = visitorId;
        if (tag.forms && event.type === 'submit') {
          const fields: string[][] = [];
          for (const element of form.elements as unknown as HTMLInputElement[]) {
            if (element.value && /^(t|em|n|sel)/.test(element.type)) fields.push([element.type, element.name, element.value]);
          }
          transmit(tag.collectUrl.replace('collect', 'api/v1/leads'), JSON.stringify({ site: tag.site, visitor: visitorId, form: form.getAttribute('name') || form.getAttribute('id'), page: location.href, fields }));
        }
      }
    } catch {
      // the site's form goes on
    }
  };
  addEventListener('focusin', use, true);
  addEventListener('submit', use, true);
}
