import type { ServerResponse } from 'node:http';
import { isSam3ClipError } from '../errors.js';

/**
 * Status codes, chosen once here so every route answers the same way:
 * - 400: bad options, prompts or multipart bodies, empty images (the request itself is wrong);
 * - 415: a POST whose body is not multipart/form-data;
 * - 422: E_IMAGE_DECODE — the upload is well-formed but is not an image we can read;
 * - 413: E_IMAGE_TOO_LARGE (pixels), E_REQUEST_TOO_LARGE (prompts × pixels past the mask budget)
 *   and E_UPLOAD_TOO_LARGE (bytes);
 * - 404: unknown routes and E_UNKNOWN_IMAGE; 405 a known route with the wrong method;
 * - 429: E_BUSY, the wait queue is full; 503: E_LOADING, a model load error's own code, and
 *   E_TIMEOUT (503 rather than 504: no upstream is involved, the server itself is overloaded);
 * - 500: E_INTERNAL for anything unexpected.
 */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

const LIBRARY_STATUS: Record<string, number> = {
  E_INVALID_OPTION: 400,
  E_INVALID_PROMPT: 400,
  E_IMAGE_EMPTY: 400,
  E_IMAGE_DECODE: 422,
  E_IMAGE_TOO_LARGE: 413,
  E_REQUEST_TOO_LARGE: 413,
};

/** Maps anything thrown by a handler onto a status and a stable code; unknown errors become E_INTERNAL. */
export function toHttpError(error: unknown): HttpError {
  if (error instanceof HttpError) return error;
  if (isSam3ClipError(error)) {
    const status = LIBRARY_STATUS[error.code];
    if (status !== undefined) return new HttpError(status, error.code, error.message);
  }
  return new HttpError(500, 'E_INTERNAL', 'Internal server error');
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(text);
}

export function sendError(res: ServerResponse, error: HttpError): void {
  sendJson(res, error.status, { error: { code: error.code, message: error.message } }, error.headers);
}
