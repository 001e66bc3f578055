/**
 * Reads a request body as text, for the node:http fast routes (http/fastRoutes.ts), the way
 * `express.text` does: only the given media types, the `Content-Encoding`s body-parser inflates
 * (gzip, deflate, br), the charset the `Content-Type` names (UTF-8 by default), a size limit on the
 * decoded bytes. Failures carry body-parser's error types, so the one error path answers them alike.
 */
import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import { TextDecoder } from 'node:util';
import zlib from 'node:zlib';

export interface TextBodyOptions {
  /** Media types accepted, lower case, without parameters (`text/plain`). */
  types: readonly string[];
  /** Bytes at most, after inflating. */
  limit: number;
}

function bodyError(type: string, status: number, message: string): Error {
  return Object.assign(new Error(message), { type, status, expose: true });
}

/** As type-is decides it for body-parser: an empty body with `Content-Length: 0` is still a body. */
function hasBody(req: IncomingMessage): boolean {
  return req.headers['transfer-encoding'] !== undefined || !Number.isNaN(Number.parseInt(req.headers['content-length'] ?? '', 10));
}

function mediaType(contentType: string): string {
  const end = contentType.indexOf(';');
  return (end === -1 ? contentType : contentType.slice(0, end)).trim().toLowerCase();
}

const charsetParam = /;\s*charset\s*=\s*"?([^";\s]+)"?/i;
const utf8 = new TextDecoder('utf-8');

function decoderFor(contentType: string): TextDecoder {
  const charset = charsetParam.exec(contentType)?.[1]?.toLowerCase();
  if (charset === undefined || charset === 'utf-8' || charset === 'utf8') return utf8;
  try {
    return new TextDecoder(charset);
  } catch {
    throw bodyError('charset.unsupported', 415, `unsupported charset "${charset.toUpperCase()}"`);
  }
}

function decodedStream(req: IncomingMessage): Readable {
  const encoding = (req.headers['content-encoding'] ?? 'identity').toLowerCase();
  switch (encoding) {
    case 'identity':
      return req;
    case 'gzip':
      return req.pipe(zlib.createGunzip());
    case 'deflate':
      return req.pipe(zlib.createInflate());
    case 'br':
      return req.pipe(zlib.createBrotliDecompress());
    default:
      throw bodyError('encoding.unsupported', 415, `unsupported content encoding "${encoding}"`);
  }
}

/**
 * The body as text; `undefined` when there is no body or its media type is not one of `types` (the
 * body is then left unread, as `express.text` leaves it).
 */
export function readTextBody(req: IncomingMessage, options: TextBodyOptions): Promise<string | undefined> {
  const contentType = req.headers['content-type'];
  if (!hasBody(req) || contentType === undefined || !options.types.includes(mediaType(contentType))) return Promise.resolve(undefined);
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    const identity = req.headers['content-encoding'] === undefined || req.headers['content-encoding'].toLowerCase() === 'identity';
    if (identity && declared > options.limit) {
      reject(bodyError('entity.too.large', 413, 'request entity too large'));
      return;
    }
    let decoder: TextDecoder;
    let stream: Readable;
    try {
      decoder = decoderFor(contentType);
      stream = decodedStream(req);
    } catch (error) {
      reject(error);
      return;
    }
    const chunks: Buffer[] = [];
    let received = 0;
    let settled = false;
    const fail = (error: Error) => {
      if (settled) return;
      settled = true;
      stream.removeAllListeners('data');
      if (stream !== req) {
        req.unpipe();
        stream.destroy();
      }
      reject(error);
    };
    stream.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received > options.limit) fail(bodyError('entity.too.large', 413, 'request entity too large'));
      else chunks.push(chunk);
    });
    stream.on('end', () => {
      if (settled) return;
      settled = true;
      resolve(decoder.decode(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)));
    });
    const aborted = () => fail(bodyError('request.aborted', 400, 'request aborted'));
    req.on('aborted', aborted);
    req.on('error', aborted);
    if (stream !== req) stream.on('error', () => fail(bodyError('entity.verify.failed', 400, 'The request body could not be inflated')));
  });
}
