// The sam3clip page: upload once (the server keeps the image embedding), then every prompt or slider
// change asks /api/segment by imageId, so only the text tower and decoder run again.
'use strict';

const COLOURS = [[230, 25, 75], [60, 180, 75], [0, 130, 200], [245, 130, 48], [145, 30, 180], [70, 240, 240],
  [240, 50, 230], [210, 245, 60], [250, 190, 212], [0, 128, 128], [220, 190, 255], [170, 110, 40]];
const MAX_BYTES = 4 * 1024 * 1024;
const TYPES = ['image/jpeg', 'image/png', 'image/webp'];

const $ = (id) => document.getElementById(id);
const state = { imageId: null, bitmap: null, results: [], masks: [], visible: [], ready: false, request: 0 };

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

async function onFile() {
  showError('');
  const file = $('image').files[0];
  state.imageId = null;
  updateButton();
  if (!file) return;
  if (!TYPES.includes(file.type)) return showError('Please choose a JPG, PNG or WebP image.');
  if (file.size > MAX_BYTES) return showError(`The image is ${(file.size / 1048576).toFixed(1)} MB; the limit is 4 MB.`);
  try {
    state.bitmap = await createImageBitmap(file, { imageOrientation: 'from-image' });
    const form = new FormData();
    form.append('image', file);
    const { id } = await api('/api/embed', form);
    state.imageId = id;
    state.results = [];
    draw();
    updateButton();
    if ($('prompt').value.trim()) await segment();
  } catch (error) {
    showError(`${error.code ? `${error.code}: ` : ''}${error.message}`);
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
    state.visible = json.results.map(() => true);
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

function draw() {
  const canvas = $('canvas');
  const bitmap = state.bitmap;
  if (!bitmap) return;
  canvas.width = bitmap.width;
  canvas.height = bitmap.height;
  const ctx = canvas.getContext('2d');
  ctx.drawImage(bitmap, 0, 0);
  const pixels = ctx.getImageData(0, 0, canvas.width, canvas.height);
  state.masks.forEach((mask, i) => {
    if (!state.visible[i] || mask.width !== canvas.width || mask.height !== canvas.height) return;
    const [r, g, b] = COLOURS[i % COLOURS.length];
    for (let p = 0; p < mask.data.length; p++) {
      if (!mask.data[p]) continue;
      pixels.data[p * 4] = (pixels.data[p * 4] + r) >> 1;
      pixels.data[p * 4 + 1] = (pixels.data[p * 4 + 1] + g) >> 1;
      pixels.data[p * 4 + 2] = (pixels.data[p * 4 + 2] + b) >> 1;
    }
  });
  ctx.putImageData(pixels, 0, 0);
  ctx.font = `${Math.max(12, Math.round(Math.min(canvas.width, canvas.height) / 30))}px sans-serif`;
  ctx.lineWidth = 3;
  state.results.forEach((r, i) => {
    if (!state.visible[i] || r.area === 0) return;
    const [x, y] = r.bbox;
    const label = `${r.prompt} ${r.score.toFixed(2)}`;
    ctx.strokeStyle = 'black';
    ctx.strokeText(label, x + 2, Math.max(16, y + 16));
    ctx.fillStyle = `rgb(${COLOURS[i % COLOURS.length].join(',')})`;
    ctx.fillText(label, x + 2, Math.max(16, y + 16));
  });
}

function renderList() {
  const list = $('masks');
  list.replaceChildren();
  state.results.forEach((r, i) => {
    const item = document.createElement('li');
    item.dataset.prompt = r.prompt;
    const toggle = document.createElement('input');
    toggle.type = 'checkbox';
    toggle.checked = state.visible[i];
    toggle.setAttribute('aria-label', `show ${r.prompt}`);
    toggle.addEventListener('change', () => { state.visible[i] = toggle.checked; draw(); });
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
$('download-json').addEventListener('click', () => {
  const blob = new Blob([JSON.stringify({ imageId: state.imageId, results: state.results }, null, 2)], { type: 'application/json' });
  save(URL.createObjectURL(blob), 'results.json');
});
pollHealth();
