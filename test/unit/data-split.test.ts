import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DataError } from '../../src/data/errors';
import { createRng, identityOrder } from '../../src/data/rng';
import { splitValidation } from '../../src/data/split';
import type { Split } from '../../src/data/types';

/** Example i has features [i % 256, (i >> 8) % 256] and label i % 10, so rows can be traced after the split. */
function traceable(count: number): Split {
  const x = new Uint8Array(count * 2);
  const y = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    x[2 * i] = i % 256;
    x[2 * i + 1] = (i >> 8) % 256;
    y[i] = i % 10;
  }
  return { x, y, count };
}

function ids(split: Split): number[] {
  return Array.from({ length: split.count }, (_, i) => split.x[2 * i] + 256 * split.x[2 * i + 1]);
}

describe('splitValidation', () => {
  const full = traceable(60000);

  it('keeps 48,000 for training and 12,000 for validation at 0.2', () => {
    const { train, validation } = splitValidation(full, 2, 0.2, 42);
    assert.equal(train.count, 48000);
    assert.equal(validation.count, 12000);
    assert.equal(train.x.length, 96000);
    assert.equal(validation.y.length, 12000);
    assert.ok(train.x instanceof Uint8Array);
  });

  it('is disjoint, covers every example and keeps each label with its example', () => {
    const { train, validation } = splitValidation(full, 2, 0.2, 42);
    const t = ids(train);
    const v = ids(validation);
    const all = new Set([...t, ...v]);
    assert.equal(all.size, 60000);
    for (let i = 0; i < train.count; i++) assert.equal(train.y[i], t[i] % 10);
    for (let i = 0; i < validation.count; i++) assert.equal(validation.y[i], v[i] % 10);
    // Each part keeps file order.
    assert.ok(t.every((id, i) => i === 0 || id > t[i - 1]));
    assert.ok(v.every((id, i) => i === 0 || id > v[i - 1]));
  });

  it('is random (not the last 20%) and the same for the same seed', () => {
    const a = ids(splitValidation(full, 2, 0.2, 7).validation);
    const b = ids(splitValidation(full, 2, 0.2, 7).validation);
    const c = ids(splitValidation(full, 2, 0.2, 8).validation);
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, c);
    // A random fifth has about 2,400 of its examples in each fifth of the file (binomial sd ≈ 44).
    const inFirstFifth = a.filter((id) => id < 12000).length;
    assert.ok(inFirstFifth > 2100 && inFirstFifth < 2700, `${inFirstFifth}`);
  });

  it('copies float features and int labels in their own types', () => {
    const s: Split = { x: Float32Array.from([0.5, 1.5, 2.5, 3.5]), y: Int32Array.from([0, 1, 2, 3]), count: 4 };
    const { train, validation } = splitValidation(s, 1, 0.25, 1);
    assert.ok(train.x instanceof Float32Array && train.y instanceof Int32Array);
    assert.equal(train.count, 3);
    assert.equal(validation.count, 1);
    assert.equal(validation.x[0], validation.y[0] + 0.5);
  });

  it('in place: the same parts as the copies, as views of the set reordered (training first, then validation)', () => {
    for (const [count, fraction, seed] of [
      [60000, 0.2, 42],
      [1000, 0.5, 3],
      [7, 0.3, 9],
      [2, 0.5, 1],
    ]) {
      const copied = splitValidation(traceable(count), 2, fraction, seed);
      const source = traceable(count);
      const viewed = splitValidation(source, 2, fraction, seed, { inPlace: true });
      assert.deepEqual(Array.from(viewed.train.x), Array.from(copied.train.x), `${count}`);
      assert.deepEqual(Array.from(viewed.train.y), Array.from(copied.train.y), `${count}`);
      assert.deepEqual(Array.from(viewed.validation.x), Array.from(copied.validation.x), `${count}`);
      assert.deepEqual(Array.from(viewed.validation.y), Array.from(copied.validation.y), `${count}`);
      assert.deepEqual(viewed.validationIndices, copied.validationIndices);
      assert.equal(viewed.train.count + viewed.validation.count, count);
      // No copy: both parts are the source's own memory, which now holds them in that order.
      assert.equal(viewed.train.x.buffer, source.x.buffer);
      assert.equal(viewed.validation.y.buffer, source.y.buffer);
      assert.deepEqual(ids(source), [...ids(viewed.train), ...ids(viewed.validation)]);
    }
  });

  it('in place keeps float features and int labels with their examples', () => {
    const s: Split = {
      x: Float32Array.from([0.5, 0.5, 1.5, 1.5, 2.5, 2.5, 3.5, 3.5, 4.5, 4.5]),
      y: Int32Array.from([0, 1, 2, 3, 4]),
      count: 5,
    };
    const { train, validation } = splitValidation(s, 2, 0.4, 5, { inPlace: true });
    assert.ok(train.x instanceof Float32Array && validation.y instanceof Int32Array);
    for (const part of [train, validation])
      for (let i = 0; i < part.count; i++) {
        assert.equal(part.x[2 * i], part.y[i] + 0.5);
        assert.equal(part.x[2 * i + 1], part.y[i] + 0.5);
      }
  });

  it('allows no validation and refuses fractions outside [0, 1) or nothing left to train on', () => {
    assert.equal(splitValidation(traceable(10), 2, 0, 1).train.count, 10);
    assert.throws(() => splitValidation(traceable(10), 2, 1, 1), DataError);
    assert.throws(() => splitValidation(traceable(10), 2, -0.1, 1), DataError);
    assert.throws(() => splitValidation(traceable(1), 2, 0.9, 1), /has only 1 example, too few/);
  });
});

describe('createRng', () => {
  it('gives the same sequence for the same seed and a different one for another seed', () => {
    const a = createRng(42);
    const b = createRng(42);
    const c = createRng(43);
    const sa = Array.from({ length: 5 }, () => a());
    assert.deepEqual(
      sa,
      Array.from({ length: 5 }, () => b()),
    );
    assert.notDeepEqual(
      sa,
      Array.from({ length: 5 }, () => c()),
    );
  });

  it('draws uniformly from [0, 1)', () => {
    const rng = createRng(1);
    let sum = 0;
    const buckets = new Array(10).fill(0);
    for (let i = 0; i < 100000; i++) {
      const v = rng();
      assert.ok(v >= 0 && v < 1);
      sum += v;
      buckets[Math.floor(v * 10)]++;
    }
    assert.ok(Math.abs(sum / 100000 - 0.5) < 0.005);
    // 10,000 expected per bucket, sd ≈ 95.
    for (const b of buckets) assert.ok(Math.abs(b - 10000) < 500, `${buckets}`);
  });

  it('shuffles as Fisher-Yates over int() does, and the stream goes on from where the shuffle left it', () => {
    // The definition: the shuffle is one int(i + 1) draw per position from the end; the loop inlines the generator.
    const reference = <T extends { length: number; [i: number]: unknown }>(rng: ReturnType<typeof createRng>, a: T) => {
      for (let i = a.length - 1; i > 0; i--) {
        const j = rng.int(i + 1);
        [a[i], a[j]] = [a[j], a[i]];
      }
      return a;
    };
    for (const seed of [0, 1, 42, 2 ** 32 + 7]) {
      for (const n of [0, 1, 2, 3, 100, 48000]) {
        const [fast, slow] = [createRng(seed), createRng(seed)];
        assert.deepEqual(fast.shuffle(identityOrder(n)), reference(slow, identityOrder(n)), `seed ${seed}, n ${n}`);
        assert.deepEqual(fast.shuffle(Array.from({ length: n }, (_, i) => i)), reference(slow, [...identityOrder(n)]));
        assert.equal(fast(), slow());
      }
    }
  });

  it('identityOrder is 0, 1, ..., count - 1', () => {
    assert.deepEqual([...identityOrder(5)], [0, 1, 2, 3, 4]);
    assert.equal(identityOrder(0).length, 0);
    assert.ok(identityOrder(3) instanceof Uint32Array);
  });

  it('shuffles into a permutation and int() stays in range', () => {
    const rng = createRng(3);
    const a = rng.shuffle(Array.from({ length: 100 }, (_, i) => i));
    assert.deepEqual(
      [...a].sort((x, y) => x - y),
      Array.from({ length: 100 }, (_, i) => i),
    );
    assert.notDeepEqual(
      a,
      Array.from({ length: 100 }, (_, i) => i),
    );
    for (let i = 0; i < 1000; i++) {
      const k = rng.int(7);
      assert.ok(Number.isInteger(k) && k >= 0 && k < 7);
    }
  });
});
