import type { IncomingMessage, ServerResponse } from 'node:http';
import { isSam3ClipError } from '../errors.js';
import type { ImageEmbedding } from '../image-embedding.js';
import type { LruCache } from '../lru.js';
import { resultToJson } from '../result-json.js';
import { resolveSegmentOptions, type StageTimings } from '../options.js';
import type { Segmenter, SegmentResult } from '../segmenter.js';
import { checkAnswerable, formPrompt } from './form-prompt.js';
import { booleanField, numberField } from './form-fields.js';
import { HttpError, sendJson } from './http-errors.js';
import type { Limiter } from './limiter.js';
import type { LoadState } from './load-state.js';
import { readMultipart, type MultipartForm } from './multipart.js';
import { OPENAPI } from './openapi.js';
import { parsePrompts } from './prompts.js';
import { PAGE_PATHS, servePage } from './static-page.js';
import { rememberUpload, suggestGet, suggestPost, type SuggestRouteContext } from './suggest-route.js';

export interface ServerContext {
  segmenter: Segmenter;
  load: LoadState;
  limiter: Limiter;
  embeddings: LruCache<string, ImageEmbedding>;
  maxUploadBytes: number;
  requestTimeoutMs: number;
}

type Handler = (ctx: ServerContext, req: IncomingMessage, res: ServerResponse) => Promise<void>;

const ROUTES: Record<string, Partial<Record<string, Handler>>> = {
  '/api/health': { GET: health },
  '/api/openapi.json': { GET: async (_ctx, _req, res) => sendJson(res, 200, OPENAPI) },
  '/api/embed': { POST: embed },
  '/api/segment': { POST: segment },
  '/api/suggest': { GET: (ctx, req, res) => suggestGet(suggestContext(ctx), req, res), POST: (ctx, req, res) => suggestPost(suggestContext(ctx), req, res) },
  ...Object.fromEntries(PAGE_PATHS.map((p) => [p, { GET: servePage, HEAD: servePage }])),
};

/** Finds the handler for a request; paths are only ever looked up here, never on disk. */
export function route(req: IncomingMessage): Handler {
  const pathname = new URL(req.url ?? '/', 'http://localhost').pathname;
  const methods = ROUTES[pathname];
  if (!methods)
    return async () => {
      throw new HttpError(404, 'E_NOT_FOUND', `No route ${pathname}`);
    };
  const handler = methods[req.method ?? 'GET'];
  if (!handler) {
    const allow = Object.keys(methods).join(', ');
    return async () => {
      throw new HttpError(405, 'E_METHOD_NOT_ALLOWED', `${pathname} accepts ${allow}`, { allow });
    };
  }
  return handler;
}

async function health(ctx: ServerContext, _req: IncomingMessage, res: ServerResponse): Promise<void> {
  const { status, progress, error } = ctx.load;
  // What the loaded package answers, so a client (the page) knows whether it may send clicks.
  const family = ctx.segmenter.manifest?.family;
  const prompts = ctx.segmenter.promptPaths;
  sendJson(res, 200, {
    status,
    progress,
    backend: ctx.segmenter.backendInfo?.name ?? null,
    ...(status === 'ready' && family && prompts ? { family, prompts } : {}),
    // Whether /api/suggest ranks names without verify (packages with CLIP's image tower).
    suggest: status === 'ready' && ctx.segmenter.suggestMode === 'clip',
    ...(error ? { error: { code: error.code, message: error.message } } : {}),
  });
}

/**
 * Runs model work under the concurrency limit with a deadline. The deadline also covers time spent
 * waiting in the queue, and a client that hangs up cancels its work too.
 */
async function withDeadline<T>(ctx: ServerContext, res: ServerResponse, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  ctx.load.assertReady();
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new HttpError(503, 'E_TIMEOUT', `Request took longer than ${ctx.requestTimeoutMs} ms`)), ctx.requestTimeoutMs);
  const onClose = () => {
    if (!res.writableFinished) controller.abort(new HttpError(499, 'E_ABORTED', 'Client closed the connection'));
  };
  res.once('close', onClose);
  try {
    return await ctx.limiter.run(() => work(controller.signal), controller.signal);
  } catch (error) {
    // The library reports aborts as E_ABORTED; surface the reason we aborted for instead.
    if (controller.signal.aborted && (isSam3ClipError(error) || error === controller.signal.reason)) throw controller.signal.reason;
    throw error;
  } finally {
    clearTimeout(timer);
    res.off('close', onClose);
  }
}

function requireImage(form: MultipartForm): Buffer {
  if (!form.image) throw new HttpError(400, 'E_INVALID_OPTION', 'Send the image as a file in the field "image"');
  return form.image;
}

async function embedImage(ctx: ServerContext, image: Buffer, signal: AbortSignal, timings?: StageTimings): Promise<ImageEmbedding> {
  const embedding = await ctx.segmenter.embed(image, { signal, ...(timings ? { timings } : {}) });
  ctx.embeddings.set(embedding.key, embedding);
  rememberUpload(embedding, image);
  return embedding;
}

function suggestContext(ctx: ServerContext): SuggestRouteContext {
  return {
    embeddings: ctx.embeddings,
    maxUploadBytes: ctx.maxUploadBytes,
    segmenter: ctx.segmenter,
    run: (res, work) => withDeadline(ctx, res, work),
  };
}

async function embed(ctx: ServerContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const form = await readMultipart(req, ctx.maxUploadBytes);
  const image = requireImage(form);
  const embedding = await withDeadline(ctx, res, (signal) => embedImage(ctx, image, signal));
  sendJson(res, 200, { id: embedding.key, width: embedding.width, height: embedding.height });
}

async function segment(ctx: ServerContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const form = await readMultipart(req, ctx.maxUploadBytes);
  const { prompts, negative } = parsePrompts(form.fields.get('prompt') ?? [], form.fields.get('negative') ?? []);
  const threshold = numberField(form, 'threshold');
  const smoothness = numberField(form, 'smoothness');
  const maxInstances = numberField(form, 'maxInstances');
  const wantPng = ['1', 'true'].includes(form.fields.get('png')?.at(-1) ?? '');
  const allCandidates = booleanField(form, 'allCandidates');
  // Checked before any model work so a typo costs no encoder run and no queue slot.
  const prompt = formPrompt(form, prompts);
  const tuning = {
    ...(threshold !== undefined ? { threshold } : {}),
    ...(smoothness !== undefined ? { smoothness } : {}),
    ...(maxInstances !== undefined ? { maxInstances } : {}),
    ...(allCandidates !== undefined ? { allCandidates } : {}),
  };
  resolveSegmentOptions({ negative, ...tuning });
  const imageId = form.fields.get('imageId')?.at(-1);
  let cached: ImageEmbedding | undefined;
  if (!form.image) {
    if (!imageId) throw new HttpError(400, 'E_INVALID_OPTION', 'Send an image file in "image" or an embedding id in "imageId"');
    cached = ctx.embeddings.get(imageId);
    if (!cached || cached.disposed) throw new HttpError(404, 'E_UNKNOWN_IMAGE', `No embedding ${imageId}; POST the image to /api/embed again`);
  }
  ctx.load.assertReady();
  await checkAnswerable(ctx.segmenter, prompt, form.image);

  const timings: StageTimings = {};
  const { embedding, results } = await withDeadline(ctx, res, async (signal) => {
    const embedding = cached ?? (await embedImage(ctx, form.image!, signal, timings));
    const results = await ctx.segmenter.segment(embedding, prompt, {
      negative,
      signal,
      timings,
      ...tuning,
    });
    return { embedding, results };
  });

  // One mask at a time: each is encoded (RLE, PNG) and then let go before the next.
  const json = [];
  const pending: (SegmentResult | undefined)[] = results;
  for (let i = 0; i < pending.length; i++) {
    json.push(await resultToJson(pending[i]!, { png: wantPng }));
    pending[i] = undefined;
  }

  sendJson(res, 200, { results: json, imageId: embedding.key, width: embedding.width, height: embedding.height, timings });
}
