// The widget's images in the sizes amoCRM requires (amocrm.md 5.1), drawn at build time: a funnel
// on LongFunnel blue, the mark centred in the image's shorter side, 4x supersampled for smooth edges.
import { PNG } from 'pngjs';

export const AMOCRM_IMAGES = Object.freeze({
  'logo_main.png': [400, 272],
  'logo_small.png': [108, 108],
  'logo_medium.png': [240, 84],
  'logo_min.png': [84, 84],
  'logo.png': [130, 100],
});

const BLUE_TOP = [34, 139, 230];
const BLUE_BOTTOM = [24, 100, 171];
const AMBER = [252, 196, 25];
const SAMPLES = 4;

/** Whether (x, y) in [0,1]² lies in the funnel mark: three stacked bands narrowing down, then a stem. */
function inMark(x, y) {
  const bands = [
    [0.08, 0.3, 0.1, 0.9, 0.82],
    [0.36, 0.56, 0.18, 0.82, 0.7],
    [0.62, 0.78, 0.3, 0.7, 0.58],
  ];
  for (const [top, bottom, left, right] of bands) {
    if (y >= top && y <= bottom) {
      const t = (y - top) / (bottom - top);
      const inset = t * 0.06;
      return x >= left + inset && x <= right - inset ? (top === 0.08 ? 'amber' : 'white') : null;
    }
  }
  if (y > 0.82 && y <= 0.94) return x >= 0.43 && x <= 0.57 ? 'white' : null;
  return null;
}

export function drawLogo(width, height) {
  const png = new PNG({ width, height });
  const side = Math.min(width, height) * 0.78;
  const left = (width - side) / 2;
  const top = (height - side) / 2;
  for (let py = 0; py < height; py += 1) {
    const mix = py / Math.max(1, height - 1);
    const background = BLUE_TOP.map((value, i) => Math.round(value + (BLUE_BOTTOM[i] - value) * mix));
    for (let px = 0; px < width; px += 1) {
      let white = 0;
      let amber = 0;
      for (let sy = 0; sy < SAMPLES; sy += 1) {
        for (let sx = 0; sx < SAMPLES; sx += 1) {
          const hit = inMark((px + (sx + 0.5) / SAMPLES - left) / side, (py + (sy + 0.5) / SAMPLES - top) / side);
          if (hit === 'white') white += 1;
          else if (hit === 'amber') amber += 1;
        }
      }
      const total = SAMPLES * SAMPLES;
      const w = white / total;
      const a = amber / total;
      const index = (py * width + px) * 4;
      for (let c = 0; c < 3; c += 1) png.data[index + c] = Math.round(background[c] * (1 - w - a) + 255 * w + AMBER[c] * a);
      png.data[index + 3] = 255;
    }
  }
  return PNG.sync.write(png);
}
