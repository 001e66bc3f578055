/**
 * The one error type that reaches HTTP clients. A route throws (or passes on) an `AppError`; the
 * error middleware turns it into `{"error": {"code", "message"}}` with its status. Anything else
 * thrown is a bug and answers 500 `internal_error` without leaking its message.
 */

export type ErrorCode =
  | 'bad_request'
  | 'invalid_json'
  | 'validation_failed'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'unknown_site'
  | 'origin_not_allowed'
  | 'route_not_found'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'rate_limited'
  | 'unknown_webhook'
  | 'invalid_webhook'
  | 'invalid_signature'
  | 'not_configured'
  | 'service_unavailable'
  | 'not_ready'
  | 'internal_error';

export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
    /** Extra machine-readable facts for the client, e.g. which fields failed validation. */
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'AppError';
  }


  static validation(message: string, details?: unknown): AppError {
    return new AppError(422, 'validation_failed', message, details);
  }

  static unauthorized(message = 'Authentication is required'): AppError {
    return new AppError(401, 'unauthorized', message);
  }


  static notFound(message: string): AppError {
    return new AppError(404, 'not_found', message);
  }


  static unavailable(message: string, details?: unknown): AppError {
    return new AppError(503, 'service_unavailable', message, details);
  }
}

export interface ErrorBody {
  error: { code: ErrorCode; message: string; details?: unknown };
}

export function errorBody(error: AppError): ErrorBody {
  return {
    error: { code: error.code, message: error.message, ...(error.details !== undefined ? { details: error.details } : {}) },
  };
}
