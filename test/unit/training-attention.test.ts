/**
 * MultiHeadAttention on TensorFlow.js (attention-layer.ts) against Keras's formula computed here in plain loops:
 * projections per head, scaled dot products, (causal) softmax, dropout on the scores, the output projection; then its
 * gradients and a few training steps through the real loop.
 */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import type { ModelDefinition } from '../../src/model/types';
import { analyze, parseModelJson } from '../../src/model';
import { selectBackend } from '../../src/training/backend';
import { buildModel } from '../../src/training/worker/build-model';
import type { TF } from '../../src/training/worker/engine';
import { forward } from '../../src/training/worker/forward';

let tf: TF;
before(async () => {
  tf = (await selectBackend('wasm')).tf;
});

const [T, D, DV, H, KD, VD, OUT] = [4, 6, 5, 2, 3, 2, 7];

/** x (4, 6) → Dense(5) as the value; attention(query=x, value=dense, key=x) with 2 heads of 3 (values of 2) → (4, 7). */
function definition(extra: object = {}): ModelDefinition {
  return {
    layers: [
      { type: 'InputLayer', shape: [T, D], name: 'x' },
      { type: 'Dense', units: DV, name: 'kv' },
      {
        type: 'MultiHeadAttention',
        num_heads: H,
        key_dim: KD,
        value_dim: VD,
        output_shape: OUT,
        inputs: ['x', 'kv', 'x'],
        name: 'mha',
        ...extra,
      },
    ],
  };
}

function build(def: ModelDefinition) {
  const a = analyze(parseModelJson(JSON.stringify(def)));
  assert.deepEqual(
    a.diagnostics.filter((d) => d.severity === 'error'),
    [],
  );
  const m = buildModel(tf, def, { names: a.layers.map((l) => l.name), inputShape: [T, D], seed: 3 });
  return { m, a };
}

/** Keras's attention for one example, in doubles: query x, key x, value v; `keep` scales each score (dropout). */
function reference(
  x: number[][],
  v: number[][],
  w: Float32Array[],
  causal: boolean,
  keep?: (h: number, t: number, s: number) => number,
): number[][] {
  const [qk, qb, kk, kb, vk, vb, ok, ob] = w;
  const proj = (rows: number[][], kernel: Float32Array, bias: Float32Array, units: number) =>
    Array.from({ length: H }, (_, h) =>
      rows.map((r) =>
        Array.from(
          { length: units },
          (_, u) => r.reduce((s, xv, d) => s + xv * kernel[(d * H + h) * units + u], 0) + bias[h * units + u],
        ),
      ),
    );
  const q = proj(x, qk, qb, KD).map((rows) => rows.map((r) => r.map((e) => e / Math.sqrt(KD))));
  const k = proj(x, kk, kb, KD);
  const val = proj(v, vk, vb, VD);
  const heads = Array.from({ length: H }, (_, h) =>
    q[h].map((qr, t) => {
      const scores = k[h].map((kr, s) => qr.reduce((a, e, i) => a + e * kr[i], 0) + (causal && s > t ? -1e9 : 0));
      const top = Math.max(...scores);
      const e = scores.map((z) => Math.exp(z - top));
      const sum = e.reduce((a, b) => a + b, 0);
      const p = e.map((z, s) => (z / sum) * (keep ? keep(h, t, s) : 1));
      return Array.from({ length: VD }, (_, c) => p.reduce((a, ps, s) => a + ps * val[h][s][c], 0));
    }),
  );
  return x.map((_, t) =>
    Array.from(
      { length: OUT },
      (_, o) =>
        ob[o] +
        Array.from({ length: H }, (_, h) =>
          heads[h][t].reduce((a, hv, c) => a + hv * ok[(h * VD + c) * OUT + o], 0),
        ).reduce((a, b) => a + b, 0),
    ),
  );
}

function inputs(seed: number) {
  let s = seed;
  const draw = () => (((s = (s * 16807) % 2147483647) - 1) / 2147483646) * 2 - 1;
  return Array.from({ length: 2 }, () => Array.from({ length: T }, () => Array.from({ length: D }, draw)));
}

function check(extra: object, training: boolean) {
  const { m } = build(definition(extra));
  const mha = m.layers.find((l) => l.name === 'mha')!;
  // Keras's weights, in Keras's order and shapes.
  assert.deepEqual(
    mha.weights.map((w) => [w.originalName.split('/').slice(-2).join('/'), w.shape]),
    [
      ['query/kernel', [D, H, KD]],
      ['query/bias', [H, KD]],
      ['key/kernel', [D, H, KD]],
      ['key/bias', [H, KD]],
      ['value/kernel', [DV, H, VD]],
      ['value/bias', [H, VD]],
      ['attention_output/kernel', [H, VD, OUT]],
      ['attention_output/bias', [OUT]],
    ],
  );
  // Biases start at zero; give them values so the test sees them.
  const weights = mha.getWeights().map((t, i) => tf.add(t, tf.mul(tf.ones(t.shape), 0.05 * (i + 1))));
  mha.setWeights(weights);
  const w = weights.map((t) => t.dataSync() as Float32Array);
  const xs = inputs(11);
  const x = tf.tensor3d(xs);
  const v = (m.layers.find((l) => l.name === 'kv')!.apply(x) as ReturnType<TF['tensor3d']>).arraySync();
  const draws: number[] = [];
  let seed = 5;
  const rng = () => {
    const r = (seed = (seed * 48271) % 2147483647) / 2147483647;
    draws.push(r);
    return r;
  };
  const out = forward(tf, m, x, training, training ? rng : undefined).output.arraySync() as number[][][];
  const rate = Number((extra as { dropout?: number }).dropout ?? 0);
  xs.forEach((ex, b) => {
    const keep = training
      ? (h: number, t: number, s: number) => (draws[((b * H + h) * T + t) * T + s] >= rate ? 1 / (1 - rate) : 0)
      : undefined;
    const want = reference(ex, v[b], w, (extra as { use_causal_mask?: boolean }).use_causal_mask === true, keep);
    want.forEach((row, t) =>
      row.forEach((e, o) => assert.ok(Math.abs(out[b][t][o] - e) < 1e-4, `[${b}][${t}][${o}] ${out[b][t][o]} vs ${e}`)),
    );
  });
  if (training) assert.equal(draws.length, 2 * H * T * T);
  m.dispose();
}

test('attention equals Keras’s formula within 1e-4: a key and value of their own, value_dim and output_shape', () =>
  check({}, false));
test('a causal mask hides later steps, as Keras’s masked softmax does', () => check({ use_causal_mask: true }, false));
test('while training, dropout on the scores draws from the run’s generator; not while evaluating', () => {
  check({ dropout: 0.3 }, true);
  check({ dropout: 0.3 }, false);
});

test('the four kernels start apart (each seeded alone) with Keras’s glorot scale; gradients reach all eight weights', () => {
  const { m } = build(definition());
  const mha = m.layers.find((l) => l.name === 'mha')!;
  const [qk, , kk] = mha.getWeights();
  assert.notDeepEqual(Array.from(qk.dataSync()), Array.from(kk.dataSync()));
  // glorot_uniform on a (6, 2, 3) kernel: fan_in 6·2, fan_out 6·3 (Keras's fans for a 3-D kernel), limit √(6/30).
  const limit = Math.sqrt(6 / (D * H + D * KD));
  assert.ok(Array.from(qk.dataSync()).every((e) => Math.abs(e) <= limit));
  const x = tf.tensor3d(inputs(2));
  const { grads } = tf.variableGrads(() => tf.sum(tf.square(forward(tf, m, x, true, () => 0.5).output)) as never);
  for (const w of mha.weights) {
    const g = grads[w.name];
    assert.ok(g, w.name);
    const values = Array.from(g.dataSync());
    assert.ok(values.every(Number.isFinite) && values.some((e) => e !== 0), w.name);
  }
  m.dispose();
});

test('attention over attention_axes, or after an Embedding with mask_zero, is refused with a sentence', () => {
  assert.throws(
    () => build(definition({ attention_axes: [1] })),
    /does not train MultiHeadAttention: .*attention_axes/,
  );
  const def: ModelDefinition = {
    layers: [
      { type: 'InputLayer', shape: [T], name: 'tokens' },
      { type: 'Embedding', input_dim: 10, output_dim: D, mask_zero: true, name: 'e' },
      { type: 'MultiHeadAttention', num_heads: 2, key_dim: 3, inputs: ['e', 'e'], name: 'mha' },
    ],
  };
  const m = buildModel(tf, def, { names: ['tokens', 'e', 'mha'], inputShape: [T], seed: 1 });
  assert.throws(() => forward(tf, m, tf.tensor2d([[1, 2, 0, 0]]), false), /masked sequence/);
  m.dispose();
});
