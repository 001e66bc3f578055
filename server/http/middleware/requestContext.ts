import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';
import { runWithContext } from '../../observability/context.js';

const acceptableRequestId = /^[A-Za-z0-9._-]{8,128}$/;

/** The load balancer's `X-Request-Id` when sane, else a new one. */
export function requestIdFor(incoming: string | string[] | undefined): string {
  return typeof incoming === 'string' && acceptableRequestId.test(incoming) ? incoming : randomUUID();
}

/** Gives every request an id, echoed in `X-Request-Id`, and runs it in that log context. */
export function requestContext(): RequestHandler {
  return (req, res, next) => {
    const requestId = requestIdFor(req.get('x-request-id'));
    res.setHeader('X-Request-Id', requestId);
    res.locals.requestId = requestId;
    runWithContext({ requestId }, next);
  };
}
