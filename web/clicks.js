// Clicks on the image canvas: pointer gestures read as points and boxes in original-image pixels,
// and the points and box sent drawn over the canvas. app.js decides what a gesture means.
'use strict';

/** Screen pixels a press must travel before it is a drag (a box) rather than a click. */
const DRAG_PX = 5;
const SVG_NS = 'http://www.w3.org/2000/svg';

/**
 * Where a pointer event lies in the original image, [x, y]: past the canvas's border and over its
 * displayed size, whatever the scale, clamped to the image. size is the image's { width, height }.
 */
function imagePoint(canvas, event, size) {
  const rect = canvas.getBoundingClientRect();
  const along = (v, offset, border, shown, extent) => {
    const f = Math.min(1, Math.max(0, (v - offset - border) / shown));
    return Math.round(f * extent * 100) / 100;
  };
  return [
    along(event.clientX, rect.left, canvas.clientLeft, canvas.clientWidth, size.width),
    along(event.clientY, rect.top, canvas.clientTop, canvas.clientHeight, size.height),
  ];
}

/** The box two corners span, [x0, y0, x1, y1]; undefined when it has no area. */
function boxBetween([ax, ay], [bx, by]) {
  const box = [Math.min(ax, bx), Math.min(ay, by), Math.max(ax, bx), Math.max(ay, by)];
  return box[2] > box[0] && box[3] > box[1] ? box : undefined;
}

/**
 * Reads gestures on the canvas. A click calls onClick(event, label): label 1, or 0 for a shift-click
 * or a right-click (whose menu is kept from opening while boxes() is true). While boxes() is true a
 * drag draws a box: onDragging(box) as it grows (null when it stops), then onBox(box, event); a drag
 * too thin to hold a box reads as a click where it started.
 */
function watchGestures(canvas, { boxes, size, onClick, onDragging, onBox }) {
  let press = null;
  // The click event that follows a drag's release is not a click.
  let dragged = false;
  canvas.addEventListener('pointerdown', (event) => {
    dragged = false;
    if (event.button !== 0 || !boxes()) return;
    press = { x: event.clientX, y: event.clientY, at: imagePoint(canvas, event, size()), moved: false };
    canvas.setPointerCapture(event.pointerId);
  });
  canvas.addEventListener('pointermove', (event) => {
    if (!press) return;
    if (!press.moved && Math.hypot(event.clientX - press.x, event.clientY - press.y) < DRAG_PX) return;
    press.moved = true;
    onDragging(boxBetween(press.at, imagePoint(canvas, event, size())) ?? null);
  });
  canvas.addEventListener('pointerup', (event) => {
    const done = press;
    press = null;
    if (!done?.moved) return;
    dragged = true;
    onDragging(null);
    const box = boxBetween(done.at, imagePoint(canvas, event, size()));
    if (box) onBox(box, event);
    else onClick(event, event.shiftKey ? 0 : 1, done.at);
  });
  canvas.addEventListener('pointercancel', () => {
    press = null;
    onDragging(null);
  });
  canvas.addEventListener('click', (event) => {
    if (dragged) {
      dragged = false;
      return;
    }
    onClick(event, event.shiftKey ? 0 : 1);
  });
  canvas.addEventListener('contextmenu', (event) => {
    if (!boxes()) return;
    event.preventDefault();
    onClick(event, 0);
  });
}

function svgElement(name, attributes) {
  const el = document.createElementNS(SVG_NS, name);
  for (const [k, v] of Object.entries(attributes)) el.setAttribute(k, String(v));
  return el;
}

/**
 * Draws { points, labels, box } (image pixels) over the canvas in screen pixels, so the marks keep
 * their size at any display scale: positive points green, negative red, the box outlined, and a box
 * being dragged dashed.
 */
function drawClickMarks(svg, canvas, size, sent, dragging) {
  svg.replaceChildren();
  if (!size) return;
  svg.style.left = `${canvas.clientLeft}px`;
  svg.style.top = `${canvas.clientTop}px`;
  svg.setAttribute('width', String(canvas.clientWidth));
  svg.setAttribute('height', String(canvas.clientHeight));
  const sx = canvas.clientWidth / size.width;
  const sy = canvas.clientHeight / size.height;
  const rect = (box, className) =>
    svgElement('rect', {
      class: className, x: box[0] * sx, y: box[1] * sy, width: (box[2] - box[0]) * sx, height: (box[3] - box[1]) * sy,
      'data-box': box.join(','),
    });
  if (sent?.box) svg.append(rect(sent.box, 'box'));
  (sent?.points ?? []).forEach(([x, y], i) => {
    const label = sent.labels[i];
    svg.append(svgElement('circle', {
      class: label ? 'positive' : 'negative', cx: x * sx, cy: y * sy, r: 6, 'data-label': label, 'data-point': `${x},${y}`,
    }));
  });
  if (dragging) svg.append(rect(dragging, 'dragging'));
}
