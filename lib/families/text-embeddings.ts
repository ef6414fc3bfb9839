import type { FloatTensor, HostBackend, SessionTimes } from '../backends/backend.js';
import type { TokenizerSpec } from '../model/manifest-types.js';
import type { TokenBatch } from '../tokenizer.js';

/**
 * text_embeds [B,D] of a token batch: one run of a text-path package's text_encoder, fed the
 * attention mask where the manifest says the graph takes it (the prompt path and the suggestion
 * vocabulary both read the tower this way).
 */
export async function textEmbeddings(backend: HostBackend, tokens: TokenBatch, spec: TokenizerSpec, times?: SessionTimes): Promise<FloatTensor> {
  const dims = [tokens.batch, tokens.contextLength];
  const out = await backend.run(
    'text_encoder',
    {
      input_ids: { type: 'int64', dims, data: tokens.ids },
      ...(spec.attentionMask ? { attention_mask: { type: 'int64', dims, data: tokens.attentionMask } } : {}),
    },
    times,
  );
  return out.text_embeds!;
}
