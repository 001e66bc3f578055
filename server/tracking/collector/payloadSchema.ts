/** The tracker's payload, protocol versions 1 and 2 (tracker/PROTOCOL.md). Unknown fields are refused. */
import Joi from 'joi';

const id = Joi.string().pattern(/^[A-Za-z0-9_-]{8,64}$/);

/**
 * What a browser's `location.href` can be: WHATWG URLs keep `|`, `{}`, `[]` and `^` unencoded in the
 * query (Yandex.Direct's `utm_content=cid|{ad_id}`, catalog filters `?filter[color]=red`), which an
 * RFC 3986 check would refuse, losing the whole visit.
 */
const httpUrl = Joi.string()
  .max(2048)
  .custom((value: string, helpers) => {
    try {
      const { protocol } = new URL(value);
      if (protocol === 'http:' || protocol === 'https:') return value;
    } catch {
      // reported below
    }
    return helpers.error('string.httpUrl');
  })
  // A rule's own message is compiled once; `.messages()` would be merged into the preferences on every call.
  .message('{{#label}} must be an http or https URL');

export interface TrackerPayload {
  v: 1 | 2;
  site: string;
  type: 'pageview' | 'goal';
  visitor: string;
  visit: string;
  url: string;
  title?: string;
  landing: string;
  referrer?: string;
  goal?: string;
  value?: number;
  ym_uid?: string;
  ga_cid?: string;
  screen?: string;
  /** Version 2: the visit's first hit on a page with `data-swap` asks which phone and e-mail it shows. */
  swap?: 1;
  ts: number;
}

const goalName = Joi.string().min(1).max(100);

export const trackerPayloadSchema = Joi.object<TrackerPayload>({
  v: Joi.number().valid(1, 2).required(),
  site: Joi.string()
    .pattern(/^lf_[A-Za-z0-9]{24}$/)
    .message('"site" must be a site key like lf_ and 24 letters or digits: check data-site in the tag')
    .required(),
  type: Joi.string().valid('pageview', 'goal').required(),
  visitor: id.required(),
  visit: id.required(),
  url: httpUrl.required(),
  title: Joi.string().allow('').max(300),
  landing: httpUrl.required(),
  referrer: Joi.string().allow('').max(2048),
  goal: goalName.when('type', { is: 'goal', then: Joi.required(), otherwise: Joi.forbidden() }),
  value: Joi.number().when('type', { is: 'goal', otherwise: Joi.forbidden() }),
  ym_uid: Joi.string().pattern(/^\d{1,32}$/),
  ga_cid: Joi.string().pattern(/^\d{1,20}\.\d{1,20}$/),
  screen: Joi.string().pattern(/^\d{1,5}x\d{1,5}$/),
  swap: Joi.number().valid(1),
  ts: Joi.number().integer().min(0).required(),
}).options({ abortEarly: false, convert: false });

/**
 * `trackerPayloadSchema` as it resolves for each type, compiled once: its `when`s make joi build the
 * resolved schema again on every hit. They only speed up accepting; a payload they refuse is
 * validated again by `trackerPayloadSchema`, so the verdict and the messages stay the schema's.
 */
const pageviewPayloadSchema = trackerPayloadSchema.keys({ goal: Joi.forbidden(), value: Joi.forbidden() });
const goalPayloadSchema = trackerPayloadSchema.keys({ goal: goalName.required(), value: Joi.number() });

export function validatePayload(input: unknown): Joi.ValidationResult<TrackerPayload> {
  const isGoal = typeof input === 'object' && input !== null && (input as { type?: unknown }).type === 'goal';
  const result = (isGoal ? goalPayloadSchema : pageviewPayloadSchema).validate(input);
  return result.error ? trackerPayloadSchema.validate(input) : result;
}
