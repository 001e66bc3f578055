/**
 * Body parsers, declared by each route that takes a body (each knows its own size and types):
 * parse errors become 400 `invalid_json` / 413 `payload_too_large` in the error handler.
 */
import express, { type RequestHandler } from 'express';

/** JSON bodies (`application/json`, `application/*+json`) up to `limit`. */
export function jsonBody(limit = '256kb'): RequestHandler {
  return express.json({ limit, type: ['application/json', 'application/*+json'] });
}

