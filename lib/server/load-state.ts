import type { LoadProgress } from '../backends/backend.js';
import { isSam3ClipError } from '../errors.js';
import { GRAPH_NAMES } from '../model/manifest-types.js';
import type { Segmenter } from '../segmenter.js';
import { HttpError } from './http-errors.js';

/** Follows a segmenter's background load so requests can be answered without waiting on it. */
export class LoadState {
  status: 'loading' | 'ready' | 'error' = 'loading';
  progress: LoadProgress = { stage: 'manifest', loaded: 0, total: 2 + GRAPH_NAMES.length };
  error?: HttpError;

  constructor(segmenter: Segmenter) {
    segmenter.on('progress', (p) => {
      this.progress = p;
    });
    segmenter.ready.then(
      () => {
        this.status = 'ready';
      },
      (e: unknown) => {
        this.status = 'error';
        // The load error keeps its own code so operators see why (a bad manifest, a missing file…).
        const code = isSam3ClipError(e) ? e.code : 'E_INTERNAL';
        this.error = new HttpError(503, code, `Models failed to load: ${(e as Error)?.message ?? String(e)}`);
      },
    );
  }

  /** Throws the 503 a request gets while the models are not usable. */
  assertReady(): void {
    if (this.status === 'error') throw this.error!;
    if (this.status === 'loading')
      throw new HttpError(503, 'E_LOADING', `Models are loading (${this.progress.loaded}/${this.progress.total})`, { 'retry-after': '2' });
  }
}
