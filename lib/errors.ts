/**
 * Every error the library throws on purpose is a Sam3ClipError with a stable `code`.
 * Codes are part of the public API: callers switch on them, so never rename one.
 */
export type ErrorCode =
  | 'E_IMAGE_DECODE'
  | 'E_IMAGE_EMPTY'
  | 'E_IMAGE_TOO_LARGE'
  | 'E_INVALID_OPTION'
  | 'E_INVALID_PROMPT'
  | 'E_MODEL_MANIFEST'
  | 'E_MODEL_FILE'
  | 'E_MODEL_SHAPE'
  | 'E_MODEL_RUNTIME'
  | 'E_BACKEND_UNAVAILABLE'
  | 'E_TENSORRT_UNAVAILABLE'
  | 'E_ENGINE_MISMATCH'
  | 'E_TENSORRT'
  | 'E_GPU_OOM'
  /** Host memory ran out inside a native run (OpenVINO): the process lives on, the call fails. */
  | 'E_OUT_OF_MEMORY'
  | 'E_CUDA'
  | 'E_NATIVE'
  | 'E_DISPOSED'
  | 'E_ABORTED'
  /** A call whose masks would exceed the memory budget (maskBudgetMiB), refused before decoding. */
  | 'E_REQUEST_TOO_LARGE'
  /** The CLI could not write an output file (missing folder, no permission, a folder in the way). */
  | 'E_OUTPUT_FILE'
  /** Anything unexpected: a bug, reported with this code rather than a stack trace. */
  | 'E_INTERNAL';

export interface ErrorDetails {
  /** The file the error is about (model files, images given by path). */
  file?: string;
  /** The manifest field, tensor or option the error is about. */
  field?: string;
  cause?: unknown;
}

export class Sam3ClipError extends Error {
  readonly code: ErrorCode;
  readonly file?: string;
  readonly field?: string;

  constructor(code: ErrorCode, message: string, details: ErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'Sam3ClipError';
    this.code = code;
    if (details.file !== undefined) this.file = details.file;
    if (details.field !== undefined) this.field = details.field;
  }
}

export function isSam3ClipError(e: unknown): e is Sam3ClipError {
  return e instanceof Sam3ClipError;
}

/** The error AbortSignal users expect, carrying our code. */
export function abortError(signal: AbortSignal): Sam3ClipError {
  return new Sam3ClipError('E_ABORTED', 'The operation was aborted', { cause: signal.reason });
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortError(signal);
}
