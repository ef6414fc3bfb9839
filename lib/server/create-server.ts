import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ImageEmbedding } from '../image-embedding.js';
import { LruCache } from '../lru.js';
import type { SegmenterOptions } from '../options.js';
import { Segmenter } from '../segmenter.js';
import { sendError, toHttpError } from './http-errors.js';
import { Limiter } from './limiter.js';
import { LoadState } from './load-state.js';
import { route, type ServerContext } from './routes.js';

export interface ServerOptions {
  /** Model package folder; defaults to $SAM3CLIP_MODELS. */
  models?: string;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  maxUploadBytes?: number;
  /** Largest image in pixels; passed to the segmenter. */
  maxPixels?: number;
  requestTimeoutMs?: number;
  maxConcurrent?: number;
  maxQueue?: number;
  /** Embeddings kept for /api/segment?imageId=… (default 16). */
  maxEmbeddings?: number;
  /**
   * Memory for one request's masks, MiB (default 1024, half the library's default: two requests
   * run at once). Past it a request gets 413 E_REQUEST_TOO_LARGE before its image is decoded.
   */
  maskBudgetMiB?: number;
  segmenterOptions?: SegmenterOptions;
  /** Use this segmenter instead of making one; the server disposes it on close. */
  segmenter?: Segmenter;
}

export interface Sam3ClipServer {
  server: http.Server;
  segmenter: Segmenter;
  /** Resolves once the socket is bound (listening starts at creation). */
  listen(): Promise<{ port: number }>;
  /** Stops accepting requests, lets running ones finish briefly, then frees the models. */
  close(): Promise<void>;
}

const CLOSE_GRACE_MS = 5000;
export const DEFAULT_SERVER_MASK_BUDGET_MIB = 1024;
/** nginx's status for a client that closed the connection before the answer. */
const CLIENT_CLOSED = 499;

/**
 * An HTTP API over one Segmenter. The socket opens at once and the models load in the background,
 * so health checks answer while loading and model routes answer 503 until ready.
 */
export function createServer(options: ServerOptions = {}): Sam3ClipServer {
  const {
    host = '127.0.0.1',
    port = 7860,
    maxUploadBytes = 4 * 1024 * 1024,
    requestTimeoutMs = 30_000,
    maxConcurrent = 2,
    maxQueue = 16,
    maxEmbeddings = 16,
  } = options;
  const segmenter =
    options.segmenter ??
    new Segmenter({
      ...options.segmenterOptions,
      ...(options.models !== undefined ? { models: options.models } : {}),
      ...(options.maxPixels !== undefined ? { maxPixels: options.maxPixels } : {}),
      maskBudgetMiB: options.maskBudgetMiB ?? options.segmenterOptions?.maskBudgetMiB ?? DEFAULT_SERVER_MASK_BUDGET_MIB,
    });
  const ctx: ServerContext = {
    segmenter,
    load: new LoadState(segmenter),
    limiter: new Limiter(maxConcurrent, maxQueue),
    embeddings: new LruCache<string, ImageEmbedding>(maxEmbeddings),
    maxUploadBytes,
    requestTimeoutMs,
  };

  // Slow uploads count against the same deadline as the work itself.
  const timeouts = { requestTimeout: requestTimeoutMs, headersTimeout: Math.min(60_000, requestTimeoutMs) };
  const server = http.createServer(timeouts, (req, res) => {
    route(req)(ctx, req, res).catch((error: unknown) => {
      const httpError = toHttpError(error);
      if (httpError.status === CLIENT_CLOSED) {
        // Nobody is left to answer; one line, no stack, whatever the client did.
        console.warn(`sam3clip: ${req.method} ${req.url}: ${httpError.message} (${CLIENT_CLOSED})`);
        req.resume();
        return;
      }
      if (httpError.status >= 500 && httpError.code === 'E_INTERNAL') console.error(error);
      // A body left unread would otherwise stall the connection for the next request.
      if (!req.complete && !res.headersSent) res.setHeader('connection', 'close');
      sendError(res, httpError);
      req.resume();
    });
  });

  const listening = new Promise<{ port: number }>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve({ port: (server.address() as AddressInfo).port });
    });
  });
  listening.catch(() => {});

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= new Promise<void>((resolve) => {
      const force = setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS);
      server.close(() => {
        clearTimeout(force);
        resolve();
      });
      server.closeIdleConnections();
    }).then(() => segmenter.dispose()));

  return { server, segmenter, listen: () => listening, close };
}
