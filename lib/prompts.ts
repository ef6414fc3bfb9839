/**
 * What segment() takes as a prompt: a sentence, or an object with points, labels and a box in
 * original-image pixels (SAM's clicks), alone or with text. Checked here, before any model runs;
 * the image-dependent checks (inside the image) run once its size is known.
 */
import { Sam3ClipError } from './errors.js';
import type { Box } from './families/family.js';
import { resolvePrompts } from './options.js';

/** [x, y] in original-image pixels. */
export type Point = [number, number];

/**
 * A prompt object: any of text, points (labels 1 = the object, 0 = not it; default 1) and a box.
 * On sam3-concept, text with `box` or `boxes` gives box exemplars, labelled by `labels` (one per box).
 */
export interface PromptObject {
  text?: string;
  points?: readonly (readonly [number, number])[];
  labels?: readonly (0 | 1)[];
  box?: readonly [number, number, number, number];
  boxes?: readonly (readonly [number, number, number, number])[];
}

export type Prompt = string | PromptObject;

/** Points one prompt may carry. */
export const MAX_PROMPT_POINTS = 64;

/** A checked prompt. `labels` has one entry per point; `boxLabel` is a lone box's label (1 unless given). */
export interface ResolvedPrompt {
  text?: string;
  points: Point[];
  labels: (0 | 1)[];
  box?: Box;
  boxLabel: 0 | 1;
  /** Several box exemplars (sam3-concept), each with its label. */
  boxes?: { box: Box; label: 0 | 1 }[];
}

/** Box exemplars one prompt may carry. */
export const MAX_PROMPT_BOXES = 16;

const PROMPT_FIELDS = ['text', 'points', 'labels', 'box', 'boxes'] as const;

function invalid(field: string, message: string): Sam3ClipError {
  return new Sam3ClipError('E_INVALID_PROMPT', `${field} ${message}`, { field });
}

const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** Whether a prompt goes to the interactive path's prompt encoder (it has points or a box). */
export function isInteractive(p: ResolvedPrompt): boolean {
  return p.points.length > 0 || p.box !== undefined;
}

function checkBox(b: unknown, field: string): Box {
  if (!Array.isArray(b) || b.length !== 4 || !b.every(finite))
    throw invalid(field, `must be [x0, y0, x1, y1] with finite numbers, got ${JSON.stringify(b)}`);
  if (!(b[2] > b[0] && b[3] > b[1])) throw invalid(field, `is empty: x1 must exceed x0 and y1 exceed y0, got ${JSON.stringify(b)}`);
  return [b[0], b[1], b[2], b[3]];
}

function resolveObject(value: object, field: string): ResolvedPrompt {
  const o = value as Record<string, unknown>;
  for (const key of Object.keys(o))
    if (!(PROMPT_FIELDS as readonly string[]).includes(key)) throw invalid(`${field}.${key}`, `is not a prompt field (known: ${PROMPT_FIELDS.join(', ')})`);
  const text = o.text === undefined ? undefined : resolvePrompts(o.text, `${field}.text`)[0];
  if (o.text !== undefined && typeof o.text !== 'string') throw invalid(`${field}.text`, 'must be a string');

  let points: Point[] = [];
  if (o.points !== undefined) {
    if (!Array.isArray(o.points) || o.points.length === 0) throw invalid(`${field}.points`, 'must be a non-empty array of [x, y]');
    if (o.points.length > MAX_PROMPT_POINTS) throw invalid(`${field}.points`, `holds ${o.points.length} points; at most ${MAX_PROMPT_POINTS}`);
    points = o.points.map((pt: unknown, i) => {
      if (!Array.isArray(pt) || pt.length !== 2 || !finite(pt[0]) || !finite(pt[1]))
        throw invalid(`${field}.points[${i}]`, `must be [x, y] with finite numbers, got ${JSON.stringify(pt)}`);
      return [pt[0], pt[1]];
    });
  }
  const box = o.box === undefined ? undefined : checkBox(o.box, `${field}.box`);
  let boxes: Box[] | undefined;
  if (o.boxes !== undefined) {
    if (box) throw invalid(`${field}.boxes`, 'and box both given: put every box in boxes');
    if (text === undefined || points.length > 0)
      throw invalid(`${field}.boxes`, 'are box exemplars of a text prompt: give text and no points (a click prompt takes one box)');
    if (!Array.isArray(o.boxes) || o.boxes.length === 0) throw invalid(`${field}.boxes`, 'must be a non-empty array of [x0, y0, x1, y1]');
    if (o.boxes.length > MAX_PROMPT_BOXES) throw invalid(`${field}.boxes`, `holds ${o.boxes.length} boxes; at most ${MAX_PROMPT_BOXES}`);
    boxes = o.boxes.map((b: unknown, i) => checkBox(b, `${field}.boxes[${i}]`));
  }
  let labels: (0 | 1)[] = points.map(() => 1);
  let boxLabel: 0 | 1 = 1;
  if (o.labels !== undefined) {
    const l = o.labels;
    if (!Array.isArray(l) || !l.every((v) => v === 0 || v === 1)) throw invalid(`${field}.labels`, `must be an array of 1 (the object) and 0 (not it), got ${JSON.stringify(l)}`);
    if (points.length > 0) {
      if (l.length !== points.length) throw invalid(`${field}.labels`, `has ${l.length} labels for ${points.length} points`);
      labels = [...l];
    } else if (box) {
      // A lone box's label: on sam3-concept a negative box exemplar ("not like this").
      if (l.length !== 1) throw invalid(`${field}.labels`, `has ${l.length} labels for a box without points; give one, the box's`);
      boxLabel = l[0];
    } else if (boxes) {
      if (l.length !== boxes.length) throw invalid(`${field}.labels`, `has ${l.length} labels for ${boxes.length} boxes`);
    } else {
      throw invalid(`${field}.labels`, 'label points, and there are none');
    }
  }
  if (text === undefined && points.length === 0 && !box) throw invalid(field, 'has none of text, points and box');
  if (points.length > 0 && !labels.includes(1) && !box)
    throw invalid(`${field}.labels`, 'are all 0: a prompt needs at least one point on the object (label 1) or a box');
  const boxLabels = (o.labels as (0 | 1)[] | undefined) ?? boxes?.map(() => 1 as const);
  return {
    ...(text === undefined ? {} : { text }),
    points,
    labels,
    ...(box ? { box } : {}),
    boxLabel,
    ...(boxes ? { boxes: boxes.map((b, i) => ({ box: b, label: boxLabels![i]! })) } : {}),
  };
}

/** A text prompt's box exemplars (sam3-concept): `boxes`, or the one `box` with its label. */
export function exemplarsOf(p: ResolvedPrompt): { box: Box; label: 0 | 1 }[] | undefined {
  if (p.boxes) return p.boxes;
  return p.box ? [{ box: p.box, label: p.boxLabel }] : undefined;
}

/** A prompt or a list of them, checked. Strings keep resolvePrompts' rules. */
export function resolvePromptInputs(prompt: unknown, field = 'prompt'): ResolvedPrompt[] {
  const list = typeof prompt === 'string' || (prompt !== null && typeof prompt === 'object' && !Array.isArray(prompt)) ? [prompt] : prompt;
  if (!Array.isArray(list)) throw invalid(field, 'must be a string, a prompt object or an array of them');
  const texts = resolvePrompts(
    list.map((p) => (typeof p === 'string' ? p : 'object')),
    field,
  );
  return list.map((p, i) => {
    const where = list.length === 1 && !Array.isArray(prompt) ? field : `${field}[${i}]`;
    if (typeof p === 'string') return { text: texts[i]!, points: [], labels: [], boxLabel: 1 };
    if (p === null || typeof p !== 'object' || Array.isArray(p)) throw invalid(where, `must be a string or a prompt object, got ${JSON.stringify(p)}`);
    return resolveObject(p, where);
  });
}

/** Out-of-image points and boxes are refused: a click outside the picture is a caller's bug, not a prompt. */
export function checkPromptInImage(p: ResolvedPrompt, width: number, height: number, field: string): void {
  p.points.forEach(([x, y], i) => {
    if (x < 0 || y < 0 || x > width || y > height)
      throw invalid(`${field}.points[${i}]`, `[${x}, ${y}] is outside the ${width}×${height} image`);
  });
  const check = (box: Box, where: string) => {
    const [x0, y0, x1, y1] = box;
    if (x0 < 0 || y0 < 0 || x1 > width || y1 > height) throw invalid(where, `[${box.join(', ')}] reaches outside the ${width}×${height} image`);
  };
  if (p.box) check(p.box, `${field}.box`);
  p.boxes?.forEach((b, i) => check(b.box, `${field}.boxes[${i}]`));
}

/** The result's `prompt`: the text, else a short description of the clicks. */
export function describePrompt(p: ResolvedPrompt): string {
  if (p.text !== undefined) return p.text;
  const parts: string[] = [];
  if (p.points.length) parts.push(`${p.points.length} point${p.points.length > 1 ? 's' : ''}`);
  if (p.box) parts.push('box');
  return parts.join(' + ');
}
