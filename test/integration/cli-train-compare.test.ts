/**
 * `model-lab train` and `compare` end to end through the bundled CLI (`node dist/cli.js`) on the bundled sample.
 * Needs the bundle: `node esbuild.config.mjs` first (MODEL_LAB_DIST points elsewhere when set).
 */
import { sampleMlp } from '../helpers/models';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { progressPrinter } from '../../src/cli/run-output';
import type { RunRecord } from '../../src/protocol';

const root = join(__dirname, '..', '..');
const cli = join(process.env.MODEL_LAB_DIST ?? join(root, 'dist'), 'cli.js');
const work = mkdtempSync(join(tmpdir(), 'ml-cli-'));
after(() => rmSync(work, { recursive: true, force: true }));

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
}

interface RunOptions {
  env?: NodeJS.ProcessEnv;
  onStdout?: (text: string, child: ReturnType<typeof spawn>) => void;
  /** Start the CLI as the leader of its own process group, as a shell does for a foreground job. */
  detached?: boolean;
}

function run(args: string[], opts: RunOptions = {}): Promise<Outcome> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, ...args], {
      cwd: work,
      env: { ...process.env, XDG_CACHE_HOME: join(work, 'cache'), MODEL_LAB_DATA: '', ...opts.env },
      detached: opts.detached,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
      opts.onStdout?.(stdout, child);
    });
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

function modelFile(name: string, over: Record<string, unknown> = {}): string {
  const def = sampleMlp({ name: 'cli-mlp', ...over });
  const file = join(work, name);
  writeFileSync(file, JSON.stringify(def, null, 2));
  return file;
}

const noStack = (text: string) => assert.doesNotMatch(text, /\n\s+at /, 'no stack trace');

test('train prints a Keras line per epoch and the evaluation, and writes the record', async () => {
  const file = modelFile('train.model.json');
  const json = join(work, 'train.json');
  const r = await run(['train', file, '--json', json, '--backend', 'wasm']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(
    r.stdout,
    /^Epoch 1\/2 - \d+\.\ds - loss: \d\.\d{4} - accuracy: \d\.\d{4} - val_loss: \d\.\d{4} - val_accuracy: \d\.\d{4}$/m,
  );
  assert.match(r.stdout, /^Epoch 2\/2 - /m);
  assert.match(r.stdout, /Evaluation on the validation set \(600 examples\): loss \d\.\d{4} - accuracy \d\.\d{4}/);
  assert.match(r.stdout, /^Trouser +\d+\.\d%/m);
  assert.match(r.stdout, /Confusion matrix \(rows: actual class, columns: predicted class\)/);
  const record = JSON.parse(readFileSync(json, 'utf8')) as RunRecord;
  assert.equal(record.version, 1);
  assert.equal(record.kind, 'train');
  assert.equal(record.active, false);
  assert.equal(record.backend, 'wasm');
  assert.equal(record.model.totalParams, 25450);
  assert.equal(record.dataset?.name, 'fashion-mnist-sample');
  assert.equal(record.runs.length, 1);
  const [runResult] = record.runs;
  assert.equal(runResult.status, 'completed');
  assert.equal(runResult.history.val_accuracy.length, 2);
  assert.ok(runResult.history.val_accuracy[1] > 0.5);
  assert.equal(runResult.evaluation?.confusionMatrix?.length, 10);
});

test('BatchNormalization with center=False or scale=False trains a step on the stock engine', async () => {
  // 32 rows, 24 of them in training with a batch of 24: one step each run.
  const rows = Array.from({ length: 32 }, (_, i) => [i % 4, (i * 7) % 5, (i * 3) % 8, i % 2]);
  writeFileSync(join(work, 'bn.csv'), ['a,b,c,label', ...rows.map((r) => r.join(','))].join('\n') + '\n');
  for (const args of [{ center: false }, { scale: false }, { center: false, scale: false }]) {
    const file = modelFile('bn.model.json', {
      dataset: { csv: 'bn.csv', label: 'label', validation_split: 0.25 },
      layers: [
        { type: 'Dense', units: 4, activation: 'relu', input_shape: [3] },
        { type: 'BatchNormalization', ...args },
        { type: 'Dense', units: 2, activation: 'softmax' },
      ],
      fit: { epochs: 1, batch_size: 24 },
    });
    const json = join(work, 'bn.json');
    const r = await run(['train', file, '--json', json], { env: { MODEL_LAB_ENGINE: 'stock' } });
    assert.equal(r.code, 0, `${JSON.stringify(args)}: ${r.stderr}`);
    const [trained] = (JSON.parse(readFileSync(json, 'utf8')) as RunRecord).runs;
    assert.equal(trained.status, 'completed');
    assert.match(trained.engine ?? '', /^stock/);
    assert.ok(Number.isFinite(trained.history.loss[0]) && Number.isFinite(trained.history.val_loss[0]));
  }
});

test('--optimizer and --epochs override the file', async () => {
  const file = modelFile('override.model.json');
  const json = join(work, 'override.json');
  const r = await run(['train', file, '--optimizer', 'sgd', '--epochs', '1', '--batch-size', '64', '--json', json]);
  assert.equal(r.code, 0, r.stderr);
  const record = JSON.parse(readFileSync(json, 'utf8')) as RunRecord;
  assert.equal(record.runs[0].optimizer.type, 'SGD');
  assert.equal(record.runs[0].optimizer.learning_rate, 0.01);
  assert.equal(record.runs[0].history.loss.length, 1);
  assert.equal(record.runs[0].label, 'SGD');
});

test('a bad model file exits 2 with file:line:col diagnostics', async () => {
  const file = join(work, 'bad.model.json');
  writeFileSync(file, '{\n  "layers": [\n    { "type": "Dense", "units": -3, "input_shape": [4] }\n  ]\n}\n');
  const r = await run(['train', file]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /bad\.model\.json:3:\d+: error: /);
  noStack(r.stderr);
});

test('a bad option exits 2 in one line', async () => {
  const file = modelFile('opt.model.json');
  const r = await run(['train', file, '--optimizer', 'lion']);
  assert.equal(r.code, 2);
  assert.match(
    r.stderr,
    /--optimizer must be one of sgd, rmsprop, adam, adagrad, adamax, nadam, adamw, adadelta, not 'lion'/,
  );
});

test('missing data exits 1 with a one-line message', async () => {
  const file = modelFile('nodata.model.json', {
    dataset: { csv: 'missing.csv', label: 'y' },
    layers: [{ type: 'Dense', units: 3, activation: 'softmax', input_shape: [4] }],
  });
  const r = await run(['train', file]);
  assert.equal(r.code, 1, r.stdout + r.stderr);
  const line = r.stderr.split('\n').find((l) => l.startsWith('model-lab train: '));
  assert.ok(line, r.stderr);
  assert.match(line, /missing\.csv/);
  noStack(r.stderr);
});

test('Ctrl-C stops after the current batch, writes the cancelled record and exits 130', async () => {
  const file = modelFile('sigint.model.json', { fit: { epochs: 30, batch_size: 16 } });
  const json = join(work, 'sigint.json');
  let sent = false;
  const r = await run(['train', file, '--json', json], {
    env: { MODEL_LAB_ENGINE: 'stock' },
    onStdout: (text, child) => {
      if (!sent && /Epoch 1\/30/.test(text)) {
        sent = true;
        child.kill('SIGINT');
      }
    },
  });
  assert.equal(r.code, 130, r.stderr);
  const record = JSON.parse(readFileSync(json, 'utf8')) as RunRecord;
  assert.equal(record.runs[0].status, 'cancelled');
  const epochs = record.runs[0].history.loss.length;
  assert.ok(epochs >= 1 && epochs < 30, `${epochs} epochs kept`);
  assert.equal(record.runs[0].epochMs.length, epochs);
});

test('compare trains every optimizer in parallel and marks the best in a table', async () => {
  const file = modelFile('compare.model.json', { compare: { optimizers: ['sgd', 'adam'] } });
  const json = join(work, 'compare.json');
  const r = await run(['compare', file, '--epochs', '1', '--workers', '2', '--json', json]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^\[SGD\] Epoch 1\/1 - /m);
  assert.match(r.stdout, /^\[Adam\] Epoch 1\/1 - /m);
  assert.match(r.stdout, /Run +loss +accuracy +val_loss +val_accuracy +s\/epoch/);
  assert.match(r.stdout, /^\* +Adam /m, 'Adam beats plain SGD after one epoch');
  assert.match(r.stdout, /\* best by val_accuracy/);
  const record = JSON.parse(readFileSync(json, 'utf8')) as RunRecord;
  assert.equal(record.kind, 'compare');
  assert.deepEqual(
    record.runs.map((x) => x.label),
    ['SGD', 'Adam'],
  );
  assert.ok(record.runs.every((x) => x.status === 'completed' && x.history.loss.length === 1));
});

test('compare --repeats gives each run its own seed and shows mean ± std', async () => {
  const file = modelFile('repeats.model.json', { compare: { optimizers: ['adam'] } });
  const json = join(work, 'repeats.json');
  const r = await run(['compare', file, '--epochs', '1', '--repeats', '2', '--json', json]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /\d\.\d{4} ± \d\.\d{4}/);
  const record = JSON.parse(readFileSync(json, 'utf8')) as RunRecord;
  assert.deepEqual(
    record.runs.map((x) => x.repeat),
    [0, 1],
  );
  assert.notEqual(record.runs[0].seed, record.runs[1].seed);
  assert.notDeepEqual(record.runs[0].history.loss, record.runs[1].history.loss);
});

test('Ctrl-C in a terminal (SIGINT to the whole process group, workers included) cancels every run and exits 130', async () => {
  // Three runs on two workers: two train, one waits in the queue. A terminal's Ctrl-C reaches every process of the
  // foreground group, so the workers get SIGINT too; that must read as a stop, not as a crash.
  const file = modelFile('group-sigint.model.json', {
    compare: { optimizers: ['sgd', 'adam', 'rmsprop'] },
    fit: { epochs: 30, batch_size: 16 },
  });
  const json = join(work, 'group-sigint.json');
  let sent = false;
  const r = await run(['compare', file, '--workers', '2', '--json', json], {
    detached: true,
    env: { MODEL_LAB_ENGINE: 'stock' },
    onStdout: (text, child) => {
      if (!sent && /Epoch 1\/30/.test(text)) {
        sent = true;
        process.kill(-child.pid!, 'SIGINT');
      }
    },
  });
  assert.equal(r.code, 130, r.stderr);
  assert.doesNotMatch(r.stderr, /exited unexpectedly/);
  const record = JSON.parse(readFileSync(json, 'utf8')) as RunRecord;
  assert.deepEqual(
    record.runs.map((x) => x.status),
    ['cancelled', 'cancelled', 'cancelled'],
    JSON.stringify(record.runs.map((x) => x.error)),
  );
  assert.ok(
    record.runs.some((x) => (x.history.loss?.length ?? 0) >= 1),
    'the finished epochs are kept',
  );
  assert.ok(
    record.runs.every((x) => x.error === undefined),
    JSON.stringify(record.runs.map((x) => x.error)),
  );
});

test('an unwritable --json path fails at once with exit 2, before any training', async () => {
  const file = modelFile('badjson.model.json');
  const blocker = join(work, 'a-file');
  writeFileSync(blocker, 'not a folder');
  const started = Date.now();
  const r = await run(['train', file, '--json', join(blocker, 'out.json')]);
  assert.equal(r.code, 2, r.stderr);
  assert.equal(r.stdout, '', 'nothing trained');
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(
    lines[0],
    /^model-lab train: --json .*a-file\/out\.json cannot be written \(a part of .*a-file is a file, not a folder\); choose a file in a writable folder\.$/,
  );
  assert.ok(Date.now() - started < 20_000);
});

test('--json in a folder that does not exist yet creates it', async () => {
  const file = modelFile('newdir.model.json', { fit: { epochs: 1, batch_size: 128 } });
  const json = join(work, 'new', 'deeper', 'out.json');
  const r = await run(['train', file, '--json', json]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal((JSON.parse(readFileSync(json, 'utf8')) as RunRecord).runs[0].status, 'completed');
});

test('compare with a backend that is not installed says so once and starts no worker', async () => {
  const file = modelFile('nobackend.model.json', { compare: { optimizers: ['sgd', 'adam', 'rmsprop'] } });
  const r = await run(['compare', file, '--backend', 'tensorflow', '--repeats', '2']);
  assert.equal(r.code, 1, r.stderr);
  assert.equal(r.stdout, '');
  assert.equal(r.stderr.match(/tfjs-node/g)?.length, 2, r.stderr);
  assert.equal(
    r.stderr.trim(),
    "model-lab compare: The 'tensorflow' backend needs @tensorflow/tfjs-node, which is not installed: run 'npm install @tensorflow/tfjs-node' next to Model Lab, or use --backend wasm.",
  );
});

test('compare with a missing dataset says so once, not once per run', async () => {
  const file = modelFile('nocsv.model.json', {
    dataset: { csv: 'missing.csv', label: 'y' },
    layers: [{ type: 'Dense', units: 3, activation: 'softmax', input_shape: [4] }],
    compare: { optimizers: ['sgd', 'adam', 'rmsprop', 'adagrad'] },
  });
  const r = await run(['compare', file]);
  assert.equal(r.code, 1, r.stderr);
  assert.equal(r.stdout, '');
  assert.equal(r.stderr.match(/missing\.csv does not exist/g)?.length, 1, r.stderr);
  assert.match(r.stderr, /^model-lab compare: .*missing\.csv does not exist; check dataset\.csv/m);
  assert.doesNotMatch(r.stderr, /failed:/, 'no run started, so none failed');
  noStack(r.stderr);
});

test('download progress prints a line at each tenth, not per chunk', () => {
  const lines: string[] = [];
  const print = progressPrinter((t) => lines.push(t));
  print('Reading the cache');
  for (const f of [0, 0.02, 0.05, 0.1, 0.15, 0.31, 0.32, 0.99, 1])
    print('Downloading Fashion-MNIST: train-images-idx3-ubyte.gz (26 MB)', f);
  assert.deepEqual(lines, [
    'Reading the cache',
    'Downloading Fashion-MNIST: train-images-idx3-ubyte.gz (26 MB) - 0%',
    'Downloading Fashion-MNIST: train-images-idx3-ubyte.gz (26 MB) - 10%',
    'Downloading Fashion-MNIST: train-images-idx3-ubyte.gz (26 MB) - 30%',
    'Downloading Fashion-MNIST: train-images-idx3-ubyte.gz (26 MB) - 90%',
    'Downloading Fashion-MNIST: train-images-idx3-ubyte.gz (26 MB) - 100%',
  ]);
});
