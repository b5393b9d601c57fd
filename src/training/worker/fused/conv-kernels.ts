/**
 * The elementwise and data-movement kernels of the fused CNN engine (`conv-stack.ts`), as plain loops over one
 * Float32Array view of the whole wasm heap; every buffer is a float offset into it. Tensors are channels-last
 * (NHWC), row-major; a window's geometry comes from the plan (`conv-eligibility.ts`).
 *
 * im2col lays each output pixel's receptive field out as one row of kh·kw·c values, in the order of a Keras
 * kernel [kh, kw, c, filters] read as a [kh·kw·c, filters] matrix, so a convolution is one product with the kernel.
 * In channels-last memory the kw·c values of one kernel row are contiguous in the input, so a row of the window
 * is one copy (only the window's columns that fall in the padding are cut off).
 */
import type { Activation } from './eligibility';

/** Window (kernel or pool) height and width, strides, and the padding before the first row / column. */
export interface Window {
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  top: number;
  left: number;
}

/** Geometry of a convolution or pooling window over a channels-last image: its input and output sizes. */
export interface Geometry extends Window {
  h: number;
  w: number;
  c: number;
  oh: number;
  ow: number;
}

/** cols[(b, oy, ox), (ky, kx, c)] = x[b, oy·sh - top + ky, ox·sw - left + kx, c], 0 in the padding. */
export function im2col(F: Float32Array, x: number, cols: number, batch: number, g: Geometry): void {
  const { h, w, c, oh, ow, kh, kw, sh, sw, top, left } = g;
  const rowLength = kh * kw * c;
  let row = cols;
  for (let b = 0; b < batch; b++) {
    const image = x + b * h * w * c;
    for (let oy = 0; oy < oh; oy++) {
      const y0 = oy * sh - top;
      for (let ox = 0; ox < ow; ox++) {
        // The kernel columns k0..k1 whose input column x0 + k lies inside the image.
        const x0 = ox * sw - left;
        const k0 = x0 < 0 ? -x0 : 0;
        const k1 = Math.min(kw, w - x0);
        for (let ky = 0; ky < kh; ky++) {
          const iy = y0 + ky;
          const dst = row + ky * kw * c;
          if (iy < 0 || iy >= h || k1 <= k0) {
            F.fill(0, dst, dst + kw * c);
            continue;
          }
          if (k0 > 0) F.fill(0, dst, dst + k0 * c);
          const src = image + (iy * w + x0 + k0) * c;
          const n = (k1 - k0) * c;
          const d = dst + k0 * c;
          if (n >= 16) F.copyWithin(d, src, src + n);
          else for (let j = 0; j < n; j++) F[d + j] = F[src + j];
          if (k1 < kw) F.fill(0, dst + k1 * c, dst + kw * c);
        }
        row += rowLength;
      }
    }
  }
}

/** The adjoint of im2col: dx (zeroed here) accumulates every row of dcols where that row's window read it. */
export function col2im(F: Float32Array, dcols: number, dx: number, batch: number, g: Geometry): void {
  const { h, w, c, oh, ow, kh, kw, sh, sw, top, left } = g;
  F.fill(0, dx, dx + batch * h * w * c);
  const rowLength = kh * kw * c;
  let row = dcols;
  for (let b = 0; b < batch; b++) {
    const image = dx + b * h * w * c;
    for (let oy = 0; oy < oh; oy++) {
      const y0 = oy * sh - top;
      for (let ox = 0; ox < ow; ox++) {
        // The kernel columns k0..k1 whose input column x0 + k lies inside the image.
        const x0 = ox * sw - left;
        const k0 = x0 < 0 ? -x0 : 0;
        const k1 = Math.min(kw, w - x0);
        for (let ky = 0; ky < kh; ky++) {
          const iy = y0 + ky;
          if (iy < 0 || iy >= h || k1 <= k0) continue;
          const dst = image + (iy * w + x0 + k0) * c;
          const src = row + (ky * kw + k0) * c;
          const n = (k1 - k0) * c;
          for (let j = 0; j < n; j++) F[dst + j] += F[src + j];
        }
        row += rowLength;
      }
    }
  }
}

/**
 * Max pooling: out[b, oy, ox, c] = the largest x in the window (padding left out); `argmax` keeps the offset of the
 * value taken, for the backward pass: the first of equal values in row-major window order, as TensorFlow routes
 * the gradient. Channels are the inner loop (contiguous in channels-last memory).
 */
export function maxPool(F: Float32Array, x: number, out: number, argmax: Int32Array, batch: number, g: Geometry): void {
  const { h, w, c, oh, ow, kh, kw, sh, sw, top, left } = g;
  const offsets = new Int32Array(kh * kw);
  let o = 0;
  for (let b = 0; b < batch; b++) {
    const image = x + b * h * w * c;
    for (let oy = 0; oy < oh; oy++) {
      const y0 = oy * sh - top;
      for (let ox = 0; ox < ow; ox++) {
        const x0 = ox * sw - left;
        // The window's pixels inside the image, in row-major order.
        let n = 0;
        for (let ky = Math.max(0, -y0); ky < Math.min(kh, h - y0); ky++)
          for (let kx = Math.max(0, -x0); kx < Math.min(kw, w - x0); kx++)
            offsets[n++] = image + ((y0 + ky) * w + x0 + kx) * c;
        for (let ch = 0; ch < c; ch++) {
          let at = offsets[0] + ch;
          let best = F[at];
          for (let j = 1; j < n; j++) {
            const v = F[offsets[j] + ch];
            if (v > best) {
              best = v;
              at = offsets[j] + ch;
            }
          }
          F[out + o] = best;
          argmax[o++] = at - x;
        }
      }
    }
  }
}

/**
 * Gradient of max pooling: dx (zeroed here) receives each dy at the offset its maximum came from. With `positive`
 * (the input is a relu's output, at the same offsets as dx), a maximum of 0 passes nothing: the relu's own
 * derivative, applied here instead of in a pass of its own.
 */
export function maxPoolBackward(
  F: Float32Array,
  dy: number,
  dx: number,
  argmax: Int32Array,
  count: number,
  inputSize: number,
  positive = -1,
): void {
  F.fill(0, dx, dx + inputSize);
  if (positive < 0) for (let o = 0; o < count; o++) F[dx + argmax[o]] += F[dy + o];
  else for (let o = 0; o < count; o++) if (F[positive + argmax[o]] > 0) F[dx + argmax[o]] += F[dy + o];
}

/** Average pooling over 'valid' windows (every window holds kh·kw values). */
export function avgPool(F: Float32Array, x: number, out: number, batch: number, g: Geometry): void {
  const { h, w, c, oh, ow, kh, kw, sh, sw } = g;
  const inv = 1 / (kh * kw);
  let o = out;
  for (let b = 0; b < batch; b++) {
    const image = x + b * h * w * c;
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        for (let ch = 0; ch < c; ch++) {
          let sum = 0;
          for (let ky = 0; ky < kh; ky++)
            for (let kx = 0; kx < kw; kx++) sum += F[image + ((oy * sh + ky) * w + ox * sw + kx) * c + ch];
          F[o++] = sum * inv;
        }
      }
    }
  }
}

/** Gradient of 'valid' average pooling: dx (zeroed here) receives dy / (kh·kw) over each window. */
export function avgPoolBackward(F: Float32Array, dy: number, dx: number, batch: number, g: Geometry): void {
  const { h, w, c, oh, ow, kh, kw, sh, sw } = g;
  const inv = 1 / (kh * kw);
  F.fill(0, dx, dx + batch * h * w * c);
  let o = dy;
  for (let b = 0; b < batch; b++) {
    const image = dx + b * h * w * c;
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        for (let ch = 0; ch < c; ch++) {
          const d = F[o++] * inv;
          for (let ky = 0; ky < kh; ky++)
            for (let kx = 0; kx < kw; kx++) F[image + ((oy * sh + ky) * w + ox * sw + kx) * c + ch] += d;
        }
      }
    }
  }
}

/** Per-channel statistics of a training-mode BatchNormalization pass, kept for its backward pass. */
export interface NormStats {
  mean: Float64Array;
  variance: Float64Array;
  invStd: Float64Array;
}

/**
 * BatchNormalization in training mode over `rows` rows of `c` channels: batch mean and (biased, as tfjs computes it)
 * variance per channel, xhat = (x - mean) / sqrt(variance + epsilon) kept at `xhat`, out = gamma·xhat + beta.
 */
export function batchNorm(
  F: Float32Array,
  x: number,
  out: number,
  xhat: number,
  rows: number,
  c: number,
  gamma: number,
  beta: number,
  epsilon: number,
  stats: NormStats,
): void {
  const { mean, variance, invStd } = stats;
  mean.fill(0);
  variance.fill(0);
  for (let r = 0; r < rows; r++) for (let ch = 0, i = x + r * c; ch < c; ch++) mean[ch] += F[i + ch];
  for (let ch = 0; ch < c; ch++) mean[ch] /= rows;
  for (let r = 0; r < rows; r++)
    for (let ch = 0, i = x + r * c; ch < c; ch++) {
      const d = F[i + ch] - mean[ch];
      variance[ch] += d * d;
    }
  for (let ch = 0; ch < c; ch++) {
    variance[ch] /= rows;
    invStd[ch] = 1 / Math.sqrt(variance[ch] + epsilon);
  }
  for (let r = 0; r < rows; r++) {
    for (let ch = 0, i = r * c; ch < c; ch++) {
      const v = (F[x + i + ch] - mean[ch]) * invStd[ch];
      F[xhat + i + ch] = v;
      F[out + i + ch] = (gamma >= 0 ? F[gamma + ch] : 1) * v + (beta >= 0 ? F[beta + ch] : 0);
    }
  }
}

/**
 * Gradients of training-mode BatchNormalization: dgamma = Σ dy·xhat and dbeta = Σ dy per channel (into `dgamma` /
 * `dbeta` when those are ≥ 0), and, when `dx` ≥ 0, dx = gamma / (N·std) · (N·dy - Σ dy - xhat · Σ dy·xhat).
 */
export function batchNormBackward(
  F: Float32Array,
  dy: number,
  xhat: number,
  dx: number,
  rows: number,
  c: number,
  gamma: number,
  dgamma: number,
  dbeta: number,
  stats: NormStats,
  /** Scratch of 3·c values. */
  sums: Float64Array,
): void {
  const sumDy = sums.subarray(0, c).fill(0);
  const sumDyX = sums.subarray(c, 2 * c).fill(0);
  for (let r = 0; r < rows; r++) {
    for (let ch = 0, i = r * c; ch < c; ch++) {
      const d = F[dy + i + ch];
      sumDy[ch] += d;
      sumDyX[ch] += d * F[xhat + i + ch];
    }
  }
  for (let ch = 0; ch < c; ch++) {
    if (dgamma >= 0) F[dgamma + ch] = sumDyX[ch];
    if (dbeta >= 0) F[dbeta + ch] = sumDy[ch];
  }
  if (dx < 0) return;
  const factor = sums.subarray(2 * c, 3 * c);
  for (let ch = 0; ch < c; ch++) factor[ch] = ((gamma >= 0 ? F[gamma + ch] : 1) * stats.invStd[ch]) / rows;
  for (let r = 0; r < rows; r++) {
    for (let ch = 0, i = r * c; ch < c; ch++) {
      F[dx + i + ch] = factor[ch] * (rows * F[dy + i + ch] - sumDy[ch] - F[xhat + i + ch] * sumDyX[ch]);
    }
  }
}

/** Keras's moving average of a statistic: moving -= (moving - value) · (1 - momentum), in float32 as tfjs does. */
export function movingAverage(moving: Float32Array, value: Float64Array, momentum: number): void {
  const decay = Math.fround(1 - momentum);
  for (let i = 0; i < moving.length; i++) {
    moving[i] = Math.fround(moving[i] - Math.fround(Math.fround(moving[i] - Math.fround(value[i])) * decay));
  }
}

/** out = act(in) over n values (in and out may be the same buffer). */
export function activate(F: Float32Array, from: number, to: number, n: number, activation: Activation): void {
  if (activation === 'relu') for (let i = 0; i < n; i++) F[to + i] = F[from + i] > 0 ? F[from + i] : 0;
  else if (activation === 'sigmoid') for (let i = 0; i < n; i++) F[to + i] = 1 / (1 + Math.exp(-F[from + i]));
  else if (activation === 'tanh') for (let i = 0; i < n; i++) F[to + i] = Math.tanh(F[from + i]);
  else if (from !== to) F.copyWithin(to, from, from + n);
}

/** dz = dy · act'(z), from the activation's output `a` (relu: where a > 0, as tfjs's step); dz may be dy. */
export function activationBackward(
  F: Float32Array,
  dy: number,
  a: number,
  dz: number,
  n: number,
  activation: Activation,
): void {
  if (activation === 'relu') for (let i = 0; i < n; i++) F[dz + i] = F[a + i] > 0 ? F[dy + i] : 0;
  else if (activation === 'sigmoid') for (let i = 0; i < n; i++) F[dz + i] = F[dy + i] * F[a + i] * (1 - F[a + i]);
  else if (activation === 'tanh') for (let i = 0; i < n; i++) F[dz + i] = F[dy + i] * (1 - F[a + i] * F[a + i]);
  else if (dz !== dy) F.copyWithin(dz, dy, dy + n);
}

/** out[j] = Σ_r m[r, j] over a row-major [rows, n] matrix whose rows are `pitch` floats apart (summed in double). */
export function columnSums(
  F: Float32Array,
  m: number,
  rows: number,
  n: number,
  out: number,
  acc: Float64Array,
  pitch = n,
): void {
  const sum = acc.subarray(0, n).fill(0);
  for (let r = 0, i = m; r < rows; r++, i += pitch) for (let j = 0; j < n; j++) sum[j] += F[i + j];
  for (let j = 0; j < n; j++) F[out + j] = sum[j];
}

/** The sizes of convPoolSingle's pass: relu or linear, the batch, the convolution's output (oh, ow even) and c. */
export interface ConvPoolShape {
  relu: boolean;
  batch: number;
  oh: number;
  ow: number;
  c: number;
}

/** Each 2x2 pooling window of convPoolSingle in order: its 4x4 patch's first float in xp, its first z (channel 0). */
function forEachPoolWindow(
  xp: number,
  z: number,
  { batch, oh, ow, c }: ConvPoolShape,
  body: (corner: number, zc: number) => void,
): void {
  for (let b = 0; b < batch; b++)
    for (let py = 0; py < oh / 2; py++)
      for (let px = 0; px < ow / 2; px++)
        body(xp + (b * (oh + 2) + 2 * py) * (ow + 2) + 2 * px, z + ((b * oh + 2 * py) * ow + 2 * px) * c);
}

/**
 * A 3x3 stride-1 convolution of a one-channel image with its bias (and relu), and the 2x2 max pooling above it, in
 * one pass (the small CNN's first layer: its output is written once and read once instead of three times, and no
 * im2col). `xp` is the input with the convolution's padding in place ([batch][oh + 2][ow + 2], zeros around), z
 * the convolution's output [batch][oh][ow][c] (oh and ow even), out the pooling's [batch][oh / 2][ow / 2][c]. Each
 * z is summed in float32, the bias first, then the nine taps in row-major order; the pooling takes the first of
 * equal maxima (`v > best`), as maxPool.
 */
export function convPoolSingle(
  F: Float32Array,
  xp: number,
  kernel: number,
  bias: number,
  z: number,
  out: number,
  shape: ConvPoolShape,
): void {
  const { relu, ow, c } = shape;
  const pw = ow + 2;
  let o = out;
  forEachPoolWindow(xp, z, shape, (corner, zc) => {
    for (let ch = 0; ch < c; ch++, o++) {
      let best = 0;
      for (let k = 0; k < 4; k++) {
        const [a, e] = [k >> 1, k & 1];
        let acc = F[bias + ch];
        for (let t = 0; t < 9; t++)
          acc = Math.fround(
            acc + Math.fround(F[corner + (a + Math.floor(t / 3)) * pw + e + (t % 3)] * F[kernel + t * c + ch]),
          );
        if (relu) acc = Math.max(acc, 0);
        F[zc + (a * ow + e) * c + ch] = acc;
        if (k === 0 || acc > best) best = acc;
      }
      F[o] = best;
    }
  });
}

/**
 * The gradients of convPoolSingle's kernel and bias from dy, the gradient of its pooled output: each dy goes to
 * the window's first z equal to its maximum (with relu, only where that z > 0), as maxPoolBackward, and from there
 * into dkernel[t, ch] += xp(tap t) · dz and dbias[ch] += dz, summed in float32 over the windows in order (per tap,
 * the window's four pixels in row-major order). dz itself is never stored.
 */
export function convPoolSingleBackward(
  F: Float32Array,
  xp: number,
  z: number,
  out: number,
  dy: number,
  dkernel: number,
  dbias: number,
  shape: ConvPoolShape,
): void {
  const { relu, ow, c } = shape;
  const pw = ow + 2;
  const g = new Float64Array(4);
  for (let ch = 0; ch < c; ch++) {
    const acc = new Float64Array(9);
    let accB = 0;
    let o = ch;
    forEachPoolWindow(xp, z + ch, shape, (corner, zc) => {
      let [taken, routed] = [false, 0];
      for (let k = 0; k < 4; k++) {
        const v = F[zc + ((k >> 1) * ow + (k & 1)) * c];
        const first = !taken && v === F[out + o];
        taken ||= first;
        g[k] = first && (!relu || v > 0) ? F[dy + o] : 0;
        if (first && (!relu || v > 0)) routed = F[dy + o];
      }
      accB = Math.fround(accB + routed);
      for (let t = 0; t < 9; t++)
        for (let k = 0; k < 4; k++) {
          const x = F[corner + ((k >> 1) + Math.floor(t / 3)) * pw + (k & 1) + (t % 3)];
          acc[t] = Math.fround(acc[t] + Math.fround(x * g[k]));
        }
      o += c;
    });
    for (let t = 0; t < 9; t++) F[dkernel + t * c + ch] = acc[t];
    F[dbias + ch] = accB;
  }
}
