// The sam3clip page: upload once (the server keeps the image embedding), then every prompt or slider
// change asks /api/segment by imageId, so only the text tower and decoder run again.
'use strict';

const COLOURS = [[230, 25, 75], [60, 180, 75], [0, 130, 200], [245, 130, 48], [145, 30, 180], [70, 240, 240],
  [240, 50, 230], [210, 245, 60], [250, 190, 212], [0, 128, 128], [220, 190, 255], [170, 110, 40]];
const MAX_BYTES = 4 * 1024 * 1024;
const TYPES = ['image/jpeg', 'image/png', 'image/webp'];

const $ = (id) => document.getElementById(id);
const state = { imageId: null, bitmap: null, results: [], masks: [], visible: [], ready: false, request: 0, upload: 0 };

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
      $('status').textContent = `Ready (${health.backend} backend)`;
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
  updateButton();
  if (!file) return;
  if (!TYPES.includes(file.type)) return showError('Please choose a JPG, PNG or WebP image.');
  if (file.size > MAX_BYTES) return showError(`The image is ${(file.size / 1048576).toFixed(1)} MB; the limit is 4 MB.`);
  try {
    const form = new FormData();
    form.append('image', file);
    const { id } = await api('/api/embed', form);
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
    state.results = [];
    state.masks = [];
    renderList();
    draw();
    updateButton();
    if ($('prompt').value.trim()) await segment();
  } catch (error) {
    if (ticket === state.upload) showError(`${error.code ? `${error.code}: ` : ''}${error.message}`);
  }
}

function decodeRle(rle) {
  const [height, width] = rle.size;
  const data = new Uint8Array(width * height);
  let i = 0;
  rle.counts.forEach((count, run) => {
    // COCO RLE is column-major and starts with a run of zeros.
    if (run % 2) for (let j = i; j < i + count; j++) data[(j % height) * width + Math.floor(j / height)] = 1;
    i += count;
  });
  return { width, height, data };
}

async function segment() {
  if (!state.imageId || !$('prompt').value.trim()) return;
  showError('');
  const ticket = ++state.request;
  const form = new FormData();
  form.append('imageId', state.imageId);
  form.append('prompt', $('prompt').value);
  if ($('negative').value.trim()) form.append('negative', $('negative').value);
  form.append('threshold', $('threshold').value);
  form.append('smoothness', $('smoothness').value);
  try {
    const started = performance.now();
    const json = await api('/api/segment', form);
    if (ticket !== state.request) return; // a newer request superseded this one
    state.results = json.results;
    state.masks = json.results.map((r) => decodeRle(r.rle));
    // A mask below the threshold is not an answer: listed, greyed, and off the canvas unless asked for.
    state.visible = json.results.map((r) => r.passedThreshold);
    clearSelection();
    const t = json.timings ?? {};
    $('timings').textContent = `Round trip ${(performance.now() - started).toFixed(0)} ms; server ${(t.total ?? 0).toFixed(1)} ms`
      + ` (image encoder ${t.cachedImage ? 'skipped, embedding cached' : `${(t.imageEncoder ?? 0).toFixed(1)} ms`},`
      + ` text ${(t.promptEncoder ?? 0).toFixed(1)} ms, decoder ${(t.decoder ?? 0).toFixed(1)} ms)`;
    renderList();
    draw();
    $('download-json').hidden = false;
  } catch (error) {
    if (ticket === state.request) showError(`${error.code ? `${error.code}: ` : ''}${error.message}`);
  }
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
  state.masks.forEach((mask, i) => {
    if (!state.visible[i] || mask.width !== width || mask.height !== height) return;
    const [r, g, b] = COLOURS[i % COLOURS.length];
    const inner = erode(mask.data, width, height, ring);
    const outside = erode(Uint8Array.from(mask.data, (v) => 1 - v), width, height, ring);
    let luminance = 0;
    let n = 0;
    for (let p = 0; p < mask.data.length; p++) {
      if (mask.data[p] || outside[p]) continue;
      luminance += 0.299 * image[p * 4] + 0.587 * image[p * 4 + 1] + 0.114 * image[p * 4 + 2];
      n++;
    }
    // Outside the mask a dark or light line, whichever stands out from what lies there: a mask the
    // colour of its object (red over red) still shows its edge.
    const edge = n && luminance / n > 128 ? 0 : 255;
    for (let p = 0; p < mask.data.length; p++) {
      const o = p * 4;
      if (mask.data[p]) {
        const a = inner[p] ? 0.5 : 1; // filled at half strength, its own edge at full
        pixels.data[o] = image[o] * (1 - a) + r * a;
        pixels.data[o + 1] = image[o + 1] * (1 - a) + g * a;
        pixels.data[o + 2] = image[o + 2] * (1 - a) + b * a;
      } else if (!outside[p]) {
        pixels.data[o] = pixels.data[o + 1] = pixels.data[o + 2] = edge;
      }
    }
  });
  ctx.putImageData(pixels, 0, 0);
  drawLabels(scale);
}

/** Labels as page text over the canvas: sharp at any scale, kept inside the image and off each other. */
function drawLabels(scale) {
  const layer = $('labels');
  layer.replaceChildren();
  const bounds = { width: $('canvas').clientWidth, height: $('canvas').clientHeight };
  const placed = [];
  state.results.forEach((r, i) => {
    if (!state.visible[i] || !r.passedThreshold || r.area === 0) return;
    const label = document.createElement('span');
    label.textContent = `${r.prompt} ${r.score.toFixed(2)}`;
    label.style.color = `rgb(${COLOURS[i % COLOURS.length].join(',')})`;
    label.dataset.prompt = r.prompt;
    layer.append(label);
    const w = label.offsetWidth;
    const h = label.offsetHeight;
    let x = Math.min(Math.max(0, r.bbox[0] * scale), Math.max(0, bounds.width - w));
    let y = Math.min(Math.max(0, r.bbox[1] * scale - h), Math.max(0, bounds.height - h));
    const hits = (a) => placed.some((b) => a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h);
    // Move down (then up from the top) until it no longer covers an earlier label.
    for (let tries = 0; hits({ x, y, w, h }) && tries < 2 * placed.length + 2; tries++) {
      y += h;
      if (y + h > bounds.height) y = 0;
    }
    placed.push({ x, y, w, h });
    label.style.left = `${x}px`;
    label.style.top = `${y}px`;
  });
}

function renderList() {
  const list = $('masks');
  list.replaceChildren();
  state.results.forEach((r, i) => {
    const item = document.createElement('li');
    item.dataset.prompt = r.prompt;
    if (!r.passedThreshold) item.className = 'below';
    const toggle = document.createElement('input');
    toggle.type = 'checkbox';
    toggle.checked = state.visible[i];
    toggle.setAttribute('aria-label', `show ${r.prompt}`);
    toggle.addEventListener('change', () => { state.visible[i] = toggle.checked; clearSelection(); draw(); });
    const swatch = document.createElement('span');
    swatch.className = 'swatch';
    swatch.style.background = `rgb(${COLOURS[i % COLOURS.length].join(',')})`;
    const text = document.createElement('span');
    text.className = 'label';
    text.textContent = `${r.prompt} — ${r.score.toFixed(2)}${r.passedThreshold ? '' : ' (below threshold)'}, ${r.area} px`;
    const download = document.createElement('button');
    download.type = 'button';
    download.textContent = 'PNG';
    download.addEventListener('click', () => downloadMask(i));
    item.append(toggle, swatch, text, download);
    list.append(item);
  });
}

function save(url, name) {
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
}

function downloadMask(i) {
  const mask = state.masks[i];
  const canvas = document.createElement('canvas');
  canvas.width = mask.width;
  canvas.height = mask.height;
  const ctx = canvas.getContext('2d');
  const image = ctx.createImageData(mask.width, mask.height);
  for (let p = 0; p < mask.data.length; p++) {
    const v = mask.data[p] ? 255 : 0;
    image.data.set([v, v, v, 255], p * 4);
  }
  ctx.putImageData(image, 0, 0);
  save(canvas.toDataURL('image/png'), `mask-${i + 1}.png`);
}

function onCanvasClick(event) {
  const canvas = $('canvas');
  const rect = canvas.getBoundingClientRect();
  const x = Math.floor(((event.clientX - rect.left) / rect.width) * canvas.width);
  const y = Math.floor(((event.clientY - rect.top) / rect.height) * canvas.height);
  for (let i = state.masks.length - 1; i >= 0; i--) {
    const m = state.masks[i];
    if (state.visible[i] && m.data[y * m.width + x]) {
      const r = state.results[i];
      $('selection').textContent = `${r.prompt}: score ${r.score.toFixed(3)}, area ${r.area} px`;
      return;
    }
  }
  $('selection').textContent = 'No mask here.';
}

let debounce;
function scheduleSegment() {
  // What the last click named may no longer be on the canvas.
  clearSelection();
  clearTimeout(debounce);
  debounce = setTimeout(segment, 250);
}

$('image').addEventListener('change', onFile);
$('prompt').addEventListener('input', () => { updateButton(); scheduleSegment(); });
$('negative').addEventListener('input', scheduleSegment);
for (const id of ['threshold', 'smoothness']) {
  $(id).addEventListener('input', () => {
    $(`${id}-value`).textContent = id === 'threshold' ? Number($(id).value).toFixed(2) : $(id).value;
    scheduleSegment();
  });
}
$('run').addEventListener('click', segment);
$('canvas').addEventListener('click', onCanvasClick);
window.addEventListener('resize', () => {
  if (state.bitmap) drawLabels(layout());
});
$('download-json').addEventListener('click', () => {
  const blob = new Blob([JSON.stringify({ imageId: state.imageId, results: state.results }, null, 2)], { type: 'application/json' });
  save(URL.createObjectURL(blob), 'results.json');
});
pollHealth();
