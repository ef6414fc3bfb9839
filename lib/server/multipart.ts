import type { IncomingMessage } from 'node:http';
import busboy from 'busboy';
import { HttpError } from './http-errors.js';

export interface MultipartForm {
  fields: Map<string, string[]>;
  /** The `image` file part, if one was sent. */
  image?: Buffer;
}

const FIELD_BYTES = 64 * 1024;
/** Form fields per request: 64 prompts + 64 negatives + the options fit with room to spare. */
export const MAX_FIELDS = 256;
/** Parts (fields + files) per request. */
const MAX_PARTS = MAX_FIELDS + 1;

/**
 * Reads a multipart/form-data body into memory. Oversized uploads are still read to the end (up
 * to a hard cap) before answering 413: replying mid-upload makes most HTTP clients report a reset
 * connection instead of the error body.
 */
export function readMultipart(req: IncomingMessage, maxUploadBytes: number): Promise<MultipartForm> {
  const type = req.headers['content-type'] ?? '';
  if (!/^multipart\/form-data\s*;/i.test(type))
    return Promise.reject(new HttpError(415, 'E_UNSUPPORTED_MEDIA_TYPE', 'The body must be multipart/form-data'));
  const tooLarge = () => new HttpError(413, 'E_UPLOAD_TOO_LARGE', `Uploads are limited to ${maxUploadBytes} bytes`);
  const declared = Number(req.headers['content-length']);
  // Far past the limit: drop the connection rather than read it all.
  const hardCap = maxUploadBytes * 4 + 1024 * 1024;
  if (declared > hardCap) {
    req.socket.destroy();
    return Promise.reject(tooLarge());
  }

  return new Promise((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers: req.headers,
        limits: { fileSize: maxUploadBytes, files: 1, fieldSize: FIELD_BYTES, fields: MAX_FIELDS, parts: MAX_PARTS },
      });
    } catch (error) {
      reject(new HttpError(400, 'E_BAD_MULTIPART', (error as Error).message));
      return;
    }
    const fields = new Map<string, string[]>();
    let image: Buffer | undefined;
    let failure: HttpError | undefined;
    let received = 0;

    parser.on('field', (name, value, info) => {
      if (info.valueTruncated) failure ??= new HttpError(400, 'E_BAD_MULTIPART', `Field ${name} is longer than ${FIELD_BYTES} bytes`);
      fields.set(name, [...(fields.get(name) ?? []), value]);
    });
    parser.on('file', (name, stream) => {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => {
        if (name === 'image') chunks.push(chunk);
      });
      stream.on('limit', () => {
        failure = tooLarge();
      });
      stream.on('end', () => {
        if (name === 'image') image = Buffer.concat(chunks);
      });
    });
    // Past a limit busboy drops the rest silently; a dropped field could be an option, so the
    // whole request is refused instead, naming the limit.
    const limit = (what: string) => () => {
      failure ??= new HttpError(400, 'E_MULTIPART_LIMIT', what);
    };
    parser.on('filesLimit', limit('At most 1 file per request: send the image in the field "image"'));
    parser.on('fieldsLimit', limit(`At most ${MAX_FIELDS} form fields per request`));
    parser.on('partsLimit', limit(`At most ${MAX_PARTS} form parts (fields and files) per request`));
    parser.on('error', (error: Error) => reject(new HttpError(400, 'E_BAD_MULTIPART', `Malformed multipart body: ${error.message}`)));
    parser.on('close', () => {
      if (failure) reject(failure);
      else resolve(image === undefined ? { fields } : { fields, image });
    });
    req.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received > hardCap) {
        req.socket.destroy();
        reject(tooLarge());
      }
    });
    // A client that hangs up mid-upload is not a server error: 499, logged as one line.
    const gone = () => reject(new HttpError(499, 'E_ABORTED', 'The client closed the connection during the upload'));
    req.on('error', gone);
    req.on('aborted', gone);
    req.pipe(parser);
  });
}
