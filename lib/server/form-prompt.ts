/**
 * The segment form's prompt. Text prompts come as `prompt` fields; clicks as the JSON fields
 * `points` ([[x, y], …]), `labels` ([1, 0, …]) and `box` ([x0, y0, x1, y1]) in original-image
 * pixels. The clicks make one prompt; beside one text prompt they join it ({ text, points, labels,
 * box }), as the CLI's --point and --box do.
 */
import { probeImage } from '../image/decode.js';
import { readImageSource } from '../image/image-input.js';
import { resolvePrompts } from '../options.js';
import { resolvePromptInputs, type Prompt, type PromptObject } from '../prompts.js';
import type { Segmenter } from '../segmenter.js';
import { jsonField } from './form-fields.js';
import { HttpError } from './http-errors.js';
import type { MultipartForm } from './multipart.js';

const CLICK_FIELDS = [
  ['points', '[[120, 80], [40, 30]]'],
  ['labels', '[1, 0]'],
  ['box', '[10, 20, 200, 160]'],
] as const;

/** What segment() is asked for: the text prompts as a list, or the clicks as one prompt object. Its shape is checked here. */
export function formPrompt(form: MultipartForm, texts: string[]): Prompt | string[] {
  const given = Object.fromEntries(
    CLICK_FIELDS.flatMap(([name, example]) => {
      const value = jsonField(form, name, 'E_INVALID_PROMPT', example);
      return value === undefined ? [] : [[name, value]];
    }),
  ) as Omit<PromptObject, 'text'>;
  if (Object.keys(given).length === 0) {
    resolvePrompts(texts);
    return texts;
  }
  if (texts.length > 1)
    throw new HttpError(
      400,
      'E_INVALID_PROMPT',
      `points, labels and box make one prompt: give at most one text prompt with them (it is segmented together with the clicks), got ${texts.length}: ${texts.map((t) => JSON.stringify(t)).join(', ')}`,
    );
  const prompt: PromptObject = { ...(texts[0] !== undefined ? { text: texts[0] } : {}), ...given };
  resolvePromptInputs(prompt);
  return prompt;
}

/**
 * The segmenter's checks that need the package or the image's size, made before an upload is
 * encoded (the server encodes it first, to keep its embedding): a prompt kind the package has no
 * path for, or clicks off the image, cost no encoder run. On an imageId the segmenter checks them
 * itself before running anything.
 */
export async function checkAnswerable(segmenter: Segmenter, prompt: Prompt | string[], upload: Buffer | undefined): Promise<void> {
  if (!segmenter.manifest) return;
  const clicks = !Array.isArray(prompt) && typeof prompt === 'object' && (prompt.points !== undefined || prompt.box !== undefined);
  // The size only: the pixel limit is the encoder's to enforce, with its own message.
  const size = upload && clicks ? await probeImage(await readImageSource(upload), Number.POSITIVE_INFINITY) : undefined;
  await segmenter.checkPrompts(prompt, size);
}
