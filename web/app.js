// The sam3clip page: upload once (the server keeps the image embedding), then every prompt, slider
// change or click asks /api/segment by imageId, so only the prompt's encoder and the decoder run again.
'use strict';

const COLOURS = [[230, 25, 75], [60, 180, 75], [0, 130, 200], [245, 130, 48], [145, 30, 180], [70, 240, 240],
  [240, 50, 230], [210, 245, 60], [250, 190, 212], [0, 128, 128], [220, 190, 255], [170, 110, 40]];
const MAX_BYTES = 4 * 1024 * 1024;
const TYPES = ['image/jpeg', 'image/png', 'image/webp'];

const $ = (id) => document.getElementById(id);
// results: /api/segment's, one per prompt; masks: each prompt's union mask (full size, for its PNG);
// instances: what the canvas can draw, every kept instance of every prompt (and, for a prompt whose only
// mask fell below the threshold, that mask, drawn only when asked for); order: the drawing order, the
// last one on top; visible: per prompt. prompts and family: what the package answers (/api/health);
// size: the image's in pixels, as the server reads it. clicks: the gestures since the last Clear, each
// { point: [x, y], label } or { box }; target: what they refine ({ text, box } of the result selected
// when they began), or null for an object of their own; textView: the text prompts' last answer, shown
// again on Clear; dragging: the box being drawn.
const state = {
  imageId: null, bitmap: null, results: [], masks: [], instances: [], order: [], visible: [], ready: false, request: 0, upload: 0,
  prompts: ['text'], family: null, suggest: false, size: null, clicks: [], target: null, textView: null, dragging: null,
};

/** n colours, none alike: the palette, then golden-angle hues at two lightnesses. */
function instanceColours(n) {
  const seen = new Set();
  const out = [];
  for (let k = 0; out.length < n; k++) {
    let rgb = COLOURS[k];
    if (!rgb) {
      const h = (k * 137.508) % 360;
      const l = k % 2 ? 0.42 : 0.62;
      const c = (1 - Math.abs(2 * l - 1)) * 0.8;
      const f = (a) => {
        const t = (a + h / 30) % 12;
        return Math.round(255 * (l - c / 2 * Math.max(-1, Math.min(t - 3, 9 - t, 1))));
      };
      rgb = [f(0), f(8), f(4)];
    }
    if (seen.has(rgb.join())) continue;
    seen.add(rgb.join());
    out.push(rgb);
  }
  return out;
}

const css = (rgb) => `rgb(${rgb.join(',')})`;

function showError(message) {
  $('error').textContent = message;
  $('error').hidden = !message;
}

async function api(path, body) {
  const response = await fetch(path, body ? { method: 'POST', body } : {});
  const json = await response.json().catch(() => ({ error: { code: 'E_HTTP', message: response.statusText } }));
  if (!response.ok) throw Object.assign(new Error(json.error?.message ?? response.statusText), { code: json.error?.code });
  return json;
}

async function pollHealth() {
  try {
    const health = await api('/api/health');
    if (health.status === 'ready') {
      state.ready = true;
      // An older server names no prompt kinds: it answers text only.
      state.prompts = health.prompts ?? ['text'];
      state.family = health.family ?? null;
      // Only a package with CLIP's image tower ranks names cheaply enough to ask on every upload.
      state.suggest = health.suggest === true;
      $('status').textContent = `Ready (${health.backend} backend)`;
      $('click-tools').hidden = !clicksOffered();
      $('canvas').classList.toggle('clickable', clicksOffered());
      updateButton();
      return;
    }
    const p = health.progress;
    $('status').textContent = health.status === 'error'
      ? `Model loading failed: ${health.error?.message ?? 'see the server log'}`
      : `Loading models… ${p ? `${p.loaded}/${p.total} (${p.stage})` : ''}`;
    if (health.status === 'error') return;
  } catch {
    $('status').textContent = 'Waiting for the server…';
  }
  setTimeout(pollHealth, 500);
}

function updateButton() {
  $('run').disabled = !(state.ready && state.imageId && $('prompt').value.trim());
}

function clearSelection() {
  $('selection').textContent = '';
  delete $('selection').dataset.key;
  for (const el of document.querySelectorAll('.selected')) el.classList.remove('selected');
  updateClickButtons();
}

/** Whether the package has the interactive path: then the canvas takes points and boxes. */
function clicksOffered() {
  return state.prompts.includes('points');
}

function updateClickButtons() {
  $('undo').disabled = !state.clicks.length;
  $('clear').disabled = !state.clicks.length && $('selection').dataset.key === undefined;
}

// The server reads the upload first: it says in words (and an E_ code) what is wrong with a file the
// browser could not decode either. A newer upload supersedes an older one, its answer and its error.
async function onFile() {
  showError('');
  clearSelection();
  const ticket = ++state.upload;
  const file = $('image').files[0];
  state.imageId = null;
  state.request++;
  $('suggestions').replaceChildren();
  $('suggestions').hidden = true;
  // Clicks belong to the image they were made on.
  dropClicks();
  state.textView = null;
  updateButton();
  if (!file) return;
  if (!TYPES.includes(file.type)) return showError('Please choose a JPG, PNG or WebP image.');
  if (file.size > MAX_BYTES) return showError(`The image is ${(file.size / 1048576).toFixed(1)} MB; the limit is 4 MB.`);
  try {
    const form = new FormData();
    form.append('image', file);
    const { id, width, height } = await api('/api/embed', form);
    if (ticket !== state.upload) return;
    let bitmap;
    try {
      bitmap = await createImageBitmap(file, { imageOrientation: 'from-image' });
    } catch {
      throw new Error('The server read this image, but this browser cannot display it; try a PNG or JPEG.');
    }
    if (ticket !== state.upload) return;
    state.bitmap = bitmap;
    state.imageId = id;
    // Clicks are sent in the server's pixels (an older server leaves the size to the browser's decode).
    state.size = { width: width ?? bitmap.width, height: height ?? bitmap.height };
    state.results = [];
    state.masks = [];
    state.instances = [];
    state.order = [];
    renderList();
    draw();
    updateButton();
    showSuggestions(id, ticket);
    if ($('prompt').value.trim()) await segment();
  } catch (error) {
    if (ticket === state.upload) showError(`${error.code ? `${error.code}: ` : ''}${error.message}`);
  }
}

/**
 * Chips of names that fit the uploaded image (/api/suggest); a chip fills the prompt box and segments as
 * typing does. Failures only leave the row empty: suggestions are a help, not the page's job.
 */
async function showSuggestions(imageId, ticket) {
  if (!state.suggest) return;
  let suggestions;
  try {
    ({ suggestions } = await api(`/api/suggest?imageId=${encodeURIComponent(imageId)}&top=8`));
  } catch {
    return;
  }
  if (ticket !== state.upload) return;
  const chips = suggestions.map(({ text, score }) => {
    const chip = document.createElement('button');
    chip.type = 'button';
    chip.textContent = text;
    chip.title = `similarity ${score.toFixed(3)}`;
    chip.addEventListener('click', () => {
      $('prompt').value = text;
      $('prompt').dispatchEvent(new Event('input'));
    });
    return chip;
  });
  $('suggestions').replaceChildren(...chips);
  $('suggestions').hidden = chips.length === 0;
}

/**
 * A COCO RLE mask as 0/1 pixels: the whole image, or with crop only its set pixels' bounding box
 * ({ x, y, w, h } inside the image's width × height). area counts the set pixels.
 */
function decodeRle(rle, crop = false) {
  const [height, width] = rle.size;
  let [x0, y0, x1, y1] = [0, 0, width, height];
  if (crop) {
    [x0, y0, x1, y1] = [width, height, 0, 0];
    let j = 0;
    rle.counts.forEach((count, run) => {
      if (run % 2 && count > 0) {
        const c0 = Math.floor(j / height);
        const c1 = Math.floor((j + count - 1) / height);
        x0 = Math.min(x0, c0);
        x1 = Math.max(x1, c1 + 1);
        // A run that goes on into the next column covers the last row and the first.
        y0 = Math.min(y0, c0 === c1 ? j % height : 0);
        y1 = Math.max(y1, c0 === c1 ? ((j + count - 1) % height) + 1 : height);
      }
      j += count;
    });
    if (x1 <= x0) [x0, y0, x1, y1] = [0, 0, 0, 0];
  }
  const w = x1 - x0;
  const h = y1 - y0;
  const data = new Uint8Array(w * h);
  let i = 0;
  let area = 0;
  rle.counts.forEach((count, run) => {
    // COCO RLE is column-major and starts with a run of zeros.
    if (run % 2) {
      for (let j = i; j < i + count; j++) data[((j % height) - y0) * w + Math.floor(j / height) - x0] = 1;
      area += count;
    }
    i += count;
  });
  return { x: x0, y: y0, w, h, width, height, data, area };
}

/** Whether image pixel (x, y) is set in a mask from decodeRle. */
function maskHas(m, x, y) {
  return x >= m.x && y >= m.y && x < m.x + m.w && y < m.y + m.h && m.data[(y - m.y) * m.w + (x - m.x)] === 1;
}

/**
 * What the canvas draws, from /api/segment's results: each kept instance (an older server without
 * instances: the result itself when it passed), and for a prompt with none its mask when it has one,
 * shown only when asked for. Every one gets a colour of its own, the kept instances first; the larger
 * are drawn first, so a small instance on a large one stays in sight and under the pointer.
 */
function instancesOf(results) {
  const kept = [];
  const below = [];
  results.forEach((r, i) => {
    const list = r.instances ?? (r.passedThreshold ? [r] : []);
    const prompt = resultName(r);
    list.forEach((inst, k) => kept.push({
      result: i, index: k, count: list.length, prompt, score: inst.score, area: inst.area, bbox: inst.bbox,
      box: inst.box ?? boxOfBbox(inst.bbox), mask: decodeRle(inst.rle, true), below: false,
    }));
    if (!list.length && r.area > 0)
      below.push({ result: i, index: -1, count: 0, prompt, score: r.score, area: r.area, bbox: r.bbox, box: boxOfBbox(r.bbox),
        mask: decodeRle(r.rle, true), below: true });
  });
  const all = [...kept, ...below];
  const colours = instanceColours(all.length);
  all.forEach((d, k) => { d.key = k; d.colour = colours[k]; });
  const order = all.map((_, k) => k).sort((a, b) => all[b].mask.area - all[a].mask.area || a - b);
  return { instances: all, order };
}

/** [x, y, width, height] as [x0, y0, x1, y1]. */
function boxOfBbox([x, y, w, h]) {
  return [x, y, x + w, y + h];
}

/** Whether a result answers clicks (points or a box through the interactive path). */
function isClicked(r) {
  return r.candidateIndex !== undefined && (r.points !== undefined || r.box !== undefined);
}

/** A result's name: its prompt, and for text segmented with clicks what was clicked too ("a cat + 2 points"). */
function resultName(r) {
  if (!isClicked(r)) return r.prompt;
  const clicked = [];
  if (r.points?.length) clicked.push(`${r.points.length} point${r.points.length > 1 ? 's' : ''}`);
  if (r.box) clicked.push('box');
  const what = clicked.join(' + ');
  return r.prompt === what ? r.prompt : `${r.prompt} + ${what}`;
}

/** The settings a text answer was made with: one that differs from today's is out of date. */
function textSettings() {
  return JSON.stringify(['prompt', 'negative', 'threshold', 'smoothness', 'max-instances'].map((id) => $(id).value));
}

/** Segments what is on screen: the clicks when there are some, else the text prompts. */
function segment() {
  return state.clicks.length ? segmentClicks() : segmentText();
}

async function segmentText() {
  if (!state.imageId || !$('prompt').value.trim()) {
    $('canvas').removeAttribute('aria-busy');
    return;
  }
  const form = new FormData();
  form.append('imageId', state.imageId);
  form.append('prompt', $('prompt').value);
  if ($('negative').value.trim()) form.append('negative', $('negative').value);
  form.append('threshold', $('threshold').value);
  form.append('smoothness', $('smoothness').value);
  if ($('max-instances').value.trim()) form.append('maxInstances', $('max-instances').value.trim());
  const settings = textSettings();
  await ask(form, (json) => {
    state.textView = { json, settings };
    show(json);
  });
}

/**
 * What the clicks send: their points and the last box drawn. Refining a text result adds to them,
 * on sam3-concept the instance's box (unless a box was drawn), elsewhere the result's text (the
 * decoder reads text and points together).
 */
function clickPrompt() {
  const points = state.clicks.filter((g) => g.point).map((g) => g.point);
  const labels = state.clicks.filter((g) => g.point).map((g) => g.label);
  const drawn = state.clicks.filter((g) => g.box).at(-1)?.box;
  const target = state.target;
  const concept = state.family === 'sam3-concept';
  const box = drawn ?? (target && concept ? target.box : undefined);
  return { ...(target && !concept ? { text: target.text } : {}), points, labels, ...(box ? { box } : {}) };
}

async function segmentClicks() {
  const sent = clickPrompt();
  const form = new FormData();
  form.append('imageId', state.imageId);
  if (sent.text) form.append('prompt', sent.text);
  if (sent.points.length) {
    form.append('points', JSON.stringify(sent.points));
    form.append('labels', JSON.stringify(sent.labels));
  }
  if (sent.box) form.append('box', JSON.stringify(sent.box));
  form.append('smoothness', $('smoothness').value);
  drawClicks();
  await ask(form, (json) => show(json, { clicks: true }));
}

/** Sends one /api/segment request; a newer one supersedes it, its answer and its error. */
async function ask(form, onAnswer) {
  showError('');
  const ticket = ++state.request;
  $('canvas').setAttribute('aria-busy', 'true');
  try {
    const started = performance.now();
    const json = await api('/api/segment', form);
    if (ticket !== state.request) return;
    $('canvas').removeAttribute('aria-busy');
    onAnswer(json);
    showTimings(json.timings ?? {}, performance.now() - started, form.has('points') || form.has('box'));
  } catch (error) {
    if (ticket !== state.request) return;
    $('canvas').removeAttribute('aria-busy');
    showError(`${error.code ? `${error.code}: ` : ''}${error.message}`);
  }
}

/** Puts an /api/segment answer on screen: the text prompts' results, or the clicks' one. */
function show(json, { clicks = false } = {}) {
  state.results = json.results;
  state.masks = json.results.map((r) => decodeRle(r.rle));
  Object.assign(state, instancesOf(json.results));
  // A mask below the threshold is not an answer: listed, greyed, and off the canvas unless asked for.
  // What was clicked is always drawn.
  state.visible = json.results.map((r) => clicks || r.passedThreshold);
  clearSelection();
  renderList();
  draw();
  $('download-json').hidden = !json.results.length;
}

function showTimings(t, roundTrip, clicks) {
  $('timings').textContent = `Round trip ${roundTrip.toFixed(0)} ms; server ${(t.total ?? 0).toFixed(1)} ms`
    + ` (image encoder ${t.cachedImage ? 'skipped, embedding cached' : `${(t.imageEncoder ?? 0).toFixed(1)} ms`},`
    + ` ${clicks ? 'prompt encoder' : 'text'} ${(t.promptEncoder ?? 0).toFixed(1)} ms, decoder ${(t.decoder ?? 0).toFixed(1)} ms)`;
}

/** Erodes a 0/1 mask by r pixels (square), as two 1-D passes: O(pixels) whatever r is. */
function erode(mask, width, height, r) {
  // A pixel stays when no 0 lies within r of it along the line, before or after; the image border counts as 1.
  const run = (src, dst, n, count, stride, step) => {
    const before = new Int32Array(n);
    for (let line = 0; line < count; line++) {
      const base = line * step;
      let gap = r + 1; // pixels since the last 0, capped at r + 1 ("far enough")
      for (let i = 0; i < n; i++) before[i] = gap = src[base + i * stride] ? Math.min(gap + 1, r + 1) : 0;
      gap = r + 1;
      for (let i = n - 1; i >= 0; i--) {
        gap = src[base + i * stride] ? Math.min(gap + 1, r + 1) : 0;
        dst[base + i * stride] = before[i] > r && gap > r ? 1 : 0;
      }
    }
  };
  const tmp = new Uint8Array(mask.length);
  const out = new Uint8Array(mask.length);
  run(mask, tmp, width, height, 1, width);
  run(tmp, out, height, width, width, 1);
  return out;
}

/** On-screen size: the image fitted to the column and to most of the window's height, up or down. */
function layout() {
  const canvas = $('canvas');
  const bitmap = state.bitmap;
  if (!bitmap) return 1;
  const column = canvas.closest('.result').clientWidth - 2;
  const scale = Math.min(column / bitmap.width, (window.innerHeight * 0.8) / bitmap.height);
  canvas.style.width = `${Math.round(bitmap.width * scale)}px`;
  canvas.style.height = `${Math.round(bitmap.height * scale)}px`;
  canvas.classList.toggle('pixelated', scale >= 2);
  return scale;
}

function draw() {
  const canvas = $('canvas');
  const bitmap = state.bitmap;
  if (!bitmap) return;
  canvas.width = bitmap.width;
  canvas.height = bitmap.height;
  const scale = layout();
  const ctx = canvas.getContext('2d');
  ctx.drawImage(bitmap, 0, 0);
  const pixels = ctx.getImageData(0, 0, canvas.width, canvas.height);
  const image = pixels.data.slice();
  const { width, height } = canvas;
  // The outline stays about 2 screen pixels wide whatever the display scale.
  const ring = Math.max(1, Math.round(2 / scale));
  for (const k of state.order) {
    const d = state.instances[k];
    const m = d.mask;
    if (!state.visible[d.result] || !m.area || m.width !== width || m.height !== height) continue;
    // Only the instance's box, grown by its outline, is worked on.
    const x0 = Math.max(0, m.x - ring - 1);
    const y0 = Math.max(0, m.y - ring - 1);
    const w = Math.min(width, m.x + m.w + ring + 1) - x0;
    const h = Math.min(height, m.y + m.h + ring + 1) - y0;
    const region = new Uint8Array(w * h);
    for (let y = 0; y < m.h; y++) region.set(m.data.subarray(y * m.w, (y + 1) * m.w), (y + m.y - y0) * w + (m.x - x0));
    const [r, g, b] = d.colour;
    const inner = erode(region, w, h, ring);
    const outside = erode(Uint8Array.from(region, (v) => 1 - v), w, h, ring);
    const at = (p) => ((y0 + Math.floor(p / w)) * width + x0 + (p % w)) * 4;
    let luminance = 0;
    let n = 0;
    for (let p = 0; p < region.length; p++) {
      if (region[p] || outside[p]) continue;
      const o = at(p);
      luminance += 0.299 * image[o] + 0.587 * image[o + 1] + 0.114 * image[o + 2];
      n++;
    }
    // Outside the mask a dark or light line, whichever stands out from what lies there: a mask the
    // colour of its object (red over red) still shows its edge.
    const edge = n && luminance / n > 128 ? 0 : 255;
    for (let p = 0; p < region.length; p++) {
      const o = at(p);
      if (region[p]) {
        const a = inner[p] ? 0.5 : 1; // filled at half strength, its own edge at full
        pixels.data[o] = image[o] * (1 - a) + r * a;
        pixels.data[o + 1] = image[o + 1] * (1 - a) + g * a;
        pixels.data[o + 2] = image[o + 2] * (1 - a) + b * a;
      } else if (!outside[p]) {
        pixels.data[o] = pixels.data[o + 1] = pixels.data[o + 2] = edge;
      }
    }
  }
  ctx.putImageData(pixels, 0, 0);
  drawLabels(scale);
  drawClicks();
}

/** The points and box the clicks send, and a box being drawn, over the canvas. */
function drawClicks() {
  drawClickMarks($('clicks'), $('canvas'), state.size, state.clicks.length ? clickPrompt() : null, state.dragging);
}

/**
 * Labels as page text over the canvas, one per drawn instance ("prompt score", in its colour): sharp at
 * any scale, kept inside the image and off each other. The best are placed first, each at the free
 * place nearest above its box; one that finds no free place is left out (the list names every instance).
 */
function drawLabels(scale) {
  const layer = $('labels');
  layer.replaceChildren();
  const canvas = $('canvas');
  const bounds = { width: canvas.clientWidth, height: canvas.clientHeight };
  const placed = [];
  const hits = (a) => placed.some((b) => a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h);
  const shown = state.instances.filter((d) => !d.below && state.visible[d.result] && d.area > 0 && state.results[d.result].passedThreshold);
  for (const d of shown.sort((a, b) => b.score - a.score || a.key - b.key)) {
    const label = document.createElement('span');
    label.textContent = `${d.prompt} ${d.score.toFixed(2)}`;
    label.style.color = css(d.colour);
    label.dataset.prompt = d.prompt;
    label.dataset.instance = String(d.index);
    label.dataset.key = String(d.key);
    if (String(d.key) === $('selection').dataset.key) label.classList.add('selected');
    layer.append(label);
    const w = label.offsetWidth;
    const h = label.offsetHeight;
    const x = Math.min(Math.max(0, d.bbox[0] * scale), Math.max(0, bounds.width - w));
    const clampY = (y) => Math.min(Math.max(0, y), Math.max(0, bounds.height - h));
    const want = clampY(d.bbox[1] * scale - h);
    // Above the box, else the nearest spot just above or below a label already placed, or an edge.
    const spots = [want, clampY(d.bbox[1] * scale), clampY((d.bbox[1] + d.bbox[3]) * scale), 0, clampY(bounds.height),
      ...placed.flatMap((b) => [clampY(b.y + b.h), clampY(b.y - h)])]
      .filter((y) => !hits({ x, y, w, h }))
      .sort((a, b) => Math.abs(a - want) - Math.abs(b - want));
    if (!spots.length) {
      label.remove();
      continue;
    }
    placed.push({ x, y: spots[0], w, h });
    // The layer covers the canvas's border too: the image starts past it.
    label.style.left = `${x + canvas.clientLeft}px`;
    label.style.top = `${spots[0] + canvas.clientTop}px`;
  }
}

function swatch(colour) {
  const el = document.createElement('span');
  el.className = 'swatch';
  el.style.background = colour ? css(colour) : '#ccc';
  return el;
}

function pngButton(title, onClick) {
  const download = document.createElement('button');
  download.type = 'button';
  download.textContent = 'PNG';
  download.title = title;
  download.addEventListener('click', onClick);
  return download;
}

/** "a cat — 3 instances, best 0.82, 5230 px", "… — below threshold (best 0.31)", or "2 points — IoU 0.91, 830 px". */
function resultText(r, count) {
  if (isClicked(r))
    return `${resultName(r)} — IoU ${r.score.toFixed(2)}, ${r.area} px`;
  const presence = typeof r.presence === 'number' ? `, presence ${r.presence.toFixed(2)}` : '';
  if (!r.passedThreshold) return `${r.prompt} — below threshold (best ${r.score.toFixed(2)})${presence}`;
  return `${r.prompt} — ${count} instance${count === 1 ? '' : 's'}, ${count === 1 ? 'score' : 'best'} ${r.score.toFixed(2)}`
    + `, ${r.area} px${presence}`;
}

function renderList() {
  const list = $('masks');
  list.replaceChildren();
  state.results.forEach((r, i) => {
    const own = state.instances.filter((d) => d.result === i && !d.below);
    const item = document.createElement('li');
    item.dataset.prompt = r.prompt;
    item.dataset.instances = String(own.length);
    if (own.length === 1) item.dataset.key = String(own[0].key);
    if (!r.passedThreshold) item.className = 'below';
    const toggle = document.createElement('input');
    toggle.type = 'checkbox';
    toggle.checked = state.visible[i];
    // A prompt that found nothing has nothing to show or save.
    toggle.disabled = r.area === 0;
    toggle.setAttribute('aria-label', `show ${r.prompt}`);
    toggle.addEventListener('change', () => { state.visible[i] = toggle.checked; clearSelection(); draw(); });
    const text = document.createElement('span');
    text.className = 'label';
    text.textContent = resultText(r, own.length);
    const download = pngButton(own.length > 1 ? `all ${own.length} instances of ${r.prompt}` : r.prompt,
      () => downloadMask(state.masks[i], `mask-${i + 1}.png`));
    download.disabled = r.area === 0;
    const first = own[0] ?? state.instances.find((d) => d.result === i);
    // Naming a row selects it as the canvas click does: a hidden or below-threshold result can be refined too.
    if (own.length <= 1 && first) text.addEventListener('click', () => select(first));
    item.append(toggle, swatch(first?.colour), text, download);
    if (own.length > 1) {
      // Each instance's own row and PNG; a long list folds away.
      const rows = document.createElement('details');
      rows.className = 'instances';
      rows.open = own.length <= 8;
      const summary = document.createElement('summary');
      summary.textContent = `${own.length} instances`;
      rows.append(summary);
      for (const d of own) {
        const row = document.createElement('div');
        row.className = 'instance';
        row.dataset.key = String(d.key);
        const label = document.createElement('span');
        label.className = 'instance-label';
        label.textContent = `#${d.index + 1} — ${d.score.toFixed(2)}, ${d.area} px`;
        label.addEventListener('click', () => select(d));
        row.append(swatch(d.colour), label,
          pngButton(`${r.prompt} #${d.index + 1}`, () => downloadMask(d.mask, `mask-${i + 1}-instance-${d.index + 1}.png`)));
        rows.append(row);
      }
      item.append(rows);
    }
    list.append(item);
  });
}

function save(url, name) {
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
}

/** A mask from decodeRle as a black-and-white PNG the size of the image. */
function downloadMask(mask, name) {
  const canvas = document.createElement('canvas');
  canvas.width = mask.width;
  canvas.height = mask.height;
  const ctx = canvas.getContext('2d');
  const image = ctx.createImageData(mask.width, mask.height);
  for (let p = 3; p < image.data.length; p += 4) image.data[p] = 255;
  for (let y = 0; y < mask.h; y++)
    for (let x = 0; x < mask.w; x++)
      if (mask.data[y * mask.w + x]) image.data.fill(255, ((mask.y + y) * mask.width + mask.x + x) * 4, ((mask.y + y) * mask.width + mask.x + x) * 4 + 3);
  ctx.putImageData(image, 0, 0);
  save(canvas.toDataURL('image/png'), name);
}

function select(d) {
  clearSelection();
  const sel = $('selection');
  sel.textContent = d.below
    ? `${d.prompt}: score ${d.score.toFixed(3)}, area ${d.area} px (below threshold)`
    : `${d.prompt}: score ${d.score.toFixed(3)}, area ${d.area} px (instance ${d.index + 1} of ${d.count})`;
  sel.dataset.key = String(d.key);
  for (const el of document.querySelectorAll(`#labels [data-key="${d.key}"], #masks [data-key="${d.key}"]`)) el.classList.add('selected');
  updateClickButtons();
}

/** The topmost drawn instance under the pointer, if any. */
function instanceAt(event) {
  const canvas = $('canvas');
  const rect = canvas.getBoundingClientRect();
  // From the pointer to an image pixel: past the border, over the displayed size, whatever the scale.
  const px = (v, offset, border, shown, size) => Math.min(size - 1, Math.max(0, Math.floor(((v - offset - border) / shown) * size)));
  const x = px(event.clientX, rect.left, canvas.clientLeft, canvas.clientWidth, canvas.width);
  const y = px(event.clientY, rect.top, canvas.clientTop, canvas.clientHeight, canvas.height);
  for (let i = state.order.length - 1; i >= 0; i--) {
    const d = state.instances[state.order[i]];
    if (state.visible[d.result] && maskHas(d.mask, x, y)) return d;
  }
  return undefined;
}

/** A click names the topmost drawn instance under the pointer. */
function nameAt(event) {
  const d = instanceAt(event);
  if (d) return select(d);
  clearSelection();
  $('selection').textContent = 'No mask here.';
}

/**
 * A click or right-click on the canvas. On a package without points it names the mask under it.
 * With points: while no clicks are pending, a plain click on a drawn mask of the text results
 * selects it (and names it); any other gesture starts the clicks, refining the selected result if
 * there is one, else segmenting an object of its own; once clicks are pending, every gesture adds
 * to them.
 */
function onCanvasClick(event, label, at) {
  if (!clicksOffered() || !state.imageId) return nameAt(event);
  if (!state.clicks.length && label === 1) {
    const d = instanceAt(event);
    if (d) return select(d);
  }
  addGesture({ point: at ?? imagePoint($('canvas'), event, state.size), label });
}

function onBoxDrawn(box) {
  addGesture({ box });
}

/** What new clicks refine: the selected result of the text prompts, or nothing. */
function selectedTarget() {
  const key = $('selection').dataset.key;
  const d = key === undefined ? undefined : state.instances[Number(key)];
  if (!d) return null;
  return { text: state.results[d.result].prompt, box: d.box };
}

function addGesture(gesture) {
  const target = state.clicks.length ? state.target : selectedTarget();
  const clicks = [...state.clicks, gesture];
  // The decoder needs something on the object: a positive point or a box (on sam3-concept the
  // refined instance's box is one).
  const hasObject = clicks.some((g) => g.box || g.label === 1) || (target && state.family === 'sam3-concept');
  if (!hasObject) {
    showError('Click on the object first (or drag a box around it); shift-click or right-click then marks what is not it.');
    return;
  }
  state.clicks = clicks;
  state.target = target;
  updateClickButtons();
  segmentClicks();
}

/** Forgets the clicks (a new image or new text makes them stale); nothing is redrawn. */
function dropClicks() {
  state.clicks = [];
  state.target = null;
  state.dragging = null;
  updateClickButtons();
}

/** Back to the text prompts: their last answer at once, asked again if the settings changed since. */
function clearClicks() {
  const had = state.clicks.length > 0;
  dropClicks();
  clearSelection();
  if (!had) return drawClicks();
  state.request++; // an answer to the clicks still on its way is no longer wanted
  $('canvas').removeAttribute('aria-busy');
  showError('');
  const view = state.textView;
  if (view && view.settings === textSettings()) return show(view.json);
  show({ results: [] });
  segmentText();
}

function undoClick() {
  if (state.clicks.length <= 1) return clearClicks();
  state.clicks = state.clicks.slice(0, -1);
  updateClickButtons();
  segmentClicks();
}

let debounce;
function scheduleSegment() {
  // What the last click named may no longer be on the canvas.
  clearSelection();
  clearTimeout(debounce);
  // Busy from now until the answer to the newest settings is drawn (tests and assistive tech wait on it).
  if (state.imageId) $('canvas').setAttribute('aria-busy', 'true');
  debounce = setTimeout(segment, 250);
}

$('image').addEventListener('change', onFile);
// New text asks for new results: clicks made on the old ones no longer apply.
$('prompt').addEventListener('input', () => { dropClicks(); updateButton(); scheduleSegment(); });
$('negative').addEventListener('input', scheduleSegment);
$('max-instances').addEventListener('input', scheduleSegment);
for (const id of ['threshold', 'smoothness']) {
  $(id).addEventListener('input', () => {
    $(`${id}-value`).textContent = id === 'threshold' ? Number($(id).value).toFixed(2) : $(id).value;
    scheduleSegment();
  });
}
$('run').addEventListener('click', () => { dropClicks(); segment(); });
watchGestures($('canvas'), {
  boxes: () => clicksOffered() && state.imageId !== null,
  size: () => state.size,
  onClick: onCanvasClick,
  onDragging: (box) => { state.dragging = box; drawClicks(); },
  onBox: onBoxDrawn,
});
$('undo').addEventListener('click', undoClick);
$('clear').addEventListener('click', clearClicks);
window.addEventListener('resize', () => {
  if (!state.bitmap) return;
  drawLabels(layout());
  drawClicks();
});
$('download-json').addEventListener('click', () => {
  const blob = new Blob([JSON.stringify({ imageId: state.imageId, results: state.results }, null, 2)], { type: 'application/json' });
  save(URL.createObjectURL(blob), 'results.json');
});
pollHealth();
