import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';
import { runWithContext } from '../../observability/context.js';

const acceptableRequestId = /^[A-Za-z0-9._-]{8,128}$/;

/** Gives every request an id (the load balancer's `X-Request-Id` when sane) and runs it in that log context. */
export function requestContext(): RequestHandler {
  return (req, res, next) => {
    const incoming = req.get('x-request-id');
    const requestId = incoming && acceptableRequestId.test(incoming) ? incoming : randomUUID();
    res.setHeader('X-Request-Id', requestId);
    res.locals.requestId = requestId;
    runWithContext({ requestId }, next);
  };
}
