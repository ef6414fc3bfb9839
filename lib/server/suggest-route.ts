import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ImageEmbedding } from '../image-embedding.js';
import type { SuggestOptions } from '../suggestions/suggest.js';
import { parseVocabulary } from '../suggestions/vocabulary-text.js';
import { booleanField, numberField } from './form-fields.js';
import { HttpError, sendJson } from './http-errors.js';
import { readMultipart, type MultipartForm } from './multipart.js';

/**
 * The uploaded bytes behind each embedding the server holds: suggestions need the pixels (CLIP's image
 * tower has its own preprocessing), which an embedding no longer has. Held as long as the embedding is.
 */
const uploads = new WeakMap<ImageEmbedding, Buffer>();

export function rememberUpload(embedding: ImageEmbedding, bytes: Buffer): void {
  uploads.set(embedding, bytes);
}

/** What the suggest handlers need of the server: the embeddings by id and the deadline runner. */
export interface SuggestRouteContext {
  embeddings: { get(key: string): ImageEmbedding | undefined };
  maxUploadBytes: number;
  segmenter: { suggest(image: Buffer, options: SuggestOptions): Promise<unknown[]> };
  run<T>(res: ServerResponse, work: (signal: AbortSignal) => Promise<T>): Promise<T>;
}

function uploadOf(ctx: SuggestRouteContext, imageId: string | undefined): Buffer {
  if (!imageId) throw new HttpError(400, 'E_INVALID_OPTION', 'Send an image file in "image" or an embedding id in "imageId"');
  const embedding = ctx.embeddings.get(imageId);
  const bytes = embedding && !embedding.disposed ? uploads.get(embedding) : undefined;
  if (!bytes) throw new HttpError(404, 'E_UNKNOWN_IMAGE', `No image ${imageId}; POST the image to /api/embed again`);
  return bytes;
}

/** A vocabulary sent as a JSON list of names, or as text with one name a line. */
function vocabularyField(raw: string | undefined): string[] | undefined {
  if (raw === undefined || raw.trim() === '') return undefined;
  if (raw.trim().startsWith('[')) {
    try {
      return JSON.parse(raw) as string[];
    } catch (error) {
      throw new HttpError(400, 'E_INVALID_OPTION', `vocabulary must be a JSON list of names or one name a line (${(error as Error).message})`);
    }
  }
  return parseVocabulary(raw);
}

function formOf(params: URLSearchParams): MultipartForm {
  const fields = new Map<string, string[]>();
  for (const [k, v] of params) fields.set(k, [...(fields.get(k) ?? []), v]);
  return { fields };
}

async function answer(ctx: SuggestRouteContext, res: ServerResponse, form: MultipartForm): Promise<void> {
  const top = numberField(form, 'top');
  const verify = booleanField(form, 'verify');
  const vocabulary = vocabularyField(form.fields.get('vocabulary')?.at(-1));
  const image = form.image ?? uploadOf(ctx, form.fields.get('imageId')?.at(-1));
  const suggestions = await ctx.run(res, (signal) =>
    ctx.segmenter.suggest(image, {
      signal,
      ...(top !== undefined ? { top } : {}),
      ...(verify !== undefined ? { verify } : {}),
      ...(vocabulary ? { vocabulary } : {}),
    }),
  );
  sendJson(res, 200, { suggestions });
}

/** GET /api/suggest?imageId=…&top=…&verify=…&vocabulary=…: suggestions for an image sent to /api/embed. */
export async function suggestGet(ctx: SuggestRouteContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  await answer(ctx, res, formOf(new URL(req.url ?? '/', 'http://localhost').searchParams));
}

/** POST /api/suggest (multipart): an image file or imageId, with top, verify and vocabulary. */
export async function suggestPost(ctx: SuggestRouteContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  await answer(ctx, res, await readMultipart(req, ctx.maxUploadBytes));
}
