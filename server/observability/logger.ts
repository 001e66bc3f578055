/**
 * The one logger. JSON lines in production (for log shippers), readable lines otherwise. Every line
 * carries the request id, job id and tenant of the context it was written in, and passes through
 * `redact` so phones, emails and tokens never reach a log.
 */
import winston from 'winston';
import type { LogLevel, NodeEnv } from '../config.js';
import { currentContext } from './context.js';
import { redact, redactText } from './redact.js';

export type Logger = winston.Logger;

const withContextAndRedaction = winston.format((info) => {
  const context = currentContext();
  for (const [key, value] of Object.entries(context)) {
    if (value !== undefined && info[key] === undefined) info[key] = value;
  }
  if (typeof info.message === 'string') info.message = redactText(info.message);
  const meta: Record<string, unknown> = {};
  for (const key of Object.keys(info)) {
    if (key !== 'level' && key !== 'timestamp' && key !== 'message') meta[key] = info[key];
  }
  Object.assign(info, redact(meta));
  return info;
});

const readableLine = winston.format.printf((info) => {
  const { level, message, timestamp, stack, ...meta } = info as Record<string, unknown>;
  const fields = Object.entries(meta)
    .filter(([key]) => typeof key === 'string')
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join(' ');
  return `${String(timestamp)} ${String(level)} ${String(message)}${fields ? ` ${fields}` : ''}${stack ? `\n${String(stack)}` : ''}`;
});

export interface LoggerOptions {
  level: LogLevel;
  nodeEnv: NodeEnv;
  /** Where lines go; defaults to stdout. Tests pass a stream to read what was logged. */
  stream?: NodeJS.WritableStream;
}

export function createLogger(options: LoggerOptions): Logger {
  const production = options.nodeEnv === 'production';
  const colored = !options.stream && process.stdout.isTTY === true;
  const transport = options.stream
    ? new winston.transports.Stream({ stream: options.stream })
    : new winston.transports.Console();
  return winston.createLogger({
    level: options.level,
    format: winston.format.combine(
      winston.format.errors({ stack: true }),
      winston.format.timestamp(),
      withContextAndRedaction(),
      production
        ? winston.format.json()
        : colored
          ? winston.format.combine(winston.format.colorize(), readableLine)
          : readableLine,
    ),
    transports: [transport],
  });
}

/** Serialises an unknown thrown value for a log line's meta. */
export function errorMeta(error: unknown): Record<string, unknown> {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return { error: error.message, errorName: error.name, ...(code !== undefined ? { errorCode: code } : {}), stack: error.stack };
  }
  return { error: String(error) };
}
