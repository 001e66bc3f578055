/**
 * The one error path. Every error a route passes on ends here and leaves as
 * `{"error": {"code", "message"}}`; unknown errors are logged with their stack and answered as 500
 * without their message (it may hold internals). Express routes reach it through `errorHandler`,
 * the node:http fast routes (http/fastRoutes.ts) through `sendError`.
 */
import type { ServerResponse } from 'node:http';
import type { ErrorRequestHandler, RequestHandler } from 'express';
import { AppError, errorBody } from '../../errors.js';
import { errorMeta, type Logger } from '../../observability/logger.js';

/**
 * Maps the errors body parsers raise (bad JSON, too large, bad charset) to AppErrors: body-parser's,
 * and http/textBody.ts's, which raises the same types.
 */
function fromBodyParser(error: unknown): AppError | undefined {
  const type = (error as { type?: unknown } | null)?.type;
  switch (type) {
    case 'entity.parse.failed':
      return new AppError(400, 'invalid_json', 'The request body is not valid JSON');
    case 'entity.too.large':
      return new AppError(413, 'payload_too_large', 'The request body is too large');
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new AppError(415, 'unsupported_media_type', 'The request body encoding is not supported');
    case 'request.aborted':
      return new AppError(400, 'bad_request', 'The request was aborted while its body was read');
    default:
      break;
  }
  // Other framework errors that carry a client status, e.g. a path with a broken %-escape.
  const { status, expose } = (error ?? {}) as { status?: unknown; expose?: unknown };
  if (typeof status === 'number' && status >= 400 && status < 500 && expose !== false) {
    return new AppError(status, 'bad_request', error instanceof Error ? error.message : 'Bad request');
  }
  return undefined;
}

export function routeNotFound(): RequestHandler {
  return (req, _res, next) => {
    next(new AppError(404, 'route_not_found', `No route for ${req.method} ${req.path}`));
  };
}

/** Answers `error` on a response whose headers are not sent yet; headers set before (Retry-After, CORS) stay. */
export function sendError(res: ServerResponse, error: unknown, logger: Logger, request: { method: string; path: string }): void {
  let appError = error instanceof AppError ? error : fromBodyParser(error);
  if (appError) {
    if (appError.status >= 500) logger.error('request failed', { ...request, code: appError.code });
  } else {
    logger.error('unhandled error in request', { ...request, ...errorMeta(error) });
    appError = new AppError(500, 'internal_error', 'Something went wrong on our side; it has been logged');
  }
  const body = JSON.stringify(errorBody(appError));
  res.statusCode = appError.status;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.end(body);
}

export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, next) => {
    if (res.headersSent) {
      next(error);
      return;
    }
    sendError(res, error, logger, { method: req.method, path: req.path });
  };
}
