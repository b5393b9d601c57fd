/**
 * Scaffolding templates for `Model Lab: New Model Definition`. Pure text: no vscode import, so the templates are
 * unit-tested by parsing and analyzing each one like any user file.
 */
export interface Template {
  id: string;
  label: string;
  detail: string;
  /** Suggested file name without `.model.json`. */
  defaultName: string;
  /** File text; `${name}` is replaced by the model name the user chose. */
  text: string;
}

const mlp = (activation: 'relu' | 'sigmoid', optimizer: string) => `{
  // The Fashion-MNIST classifier of the classic Keras tutorial, ${activation} version.
  // Hover a layer for its output shape and parameter arithmetic; use the CodeLens above to train or compare.
  "name": "\${name}",
  "dataset": { "name": "fashion-mnist", "validation_split": 0.2, "seed": 42 },
  "layers": [
    { "type": "Flatten", "input_shape": [28, 28] },
    { "type": "Dense", "units": 100, "activation": "${activation}" },
    { "type": "Dense", "units": 10, "activation": "softmax" }
  ],
  "compile": { "optimizer": "${optimizer}", "loss": "sparse_categorical_crossentropy", "metrics": ["accuracy"] },
  "fit": { "epochs": 5, "batch_size": 32 },
  "compare": {
    "optimizers": ["sgd", { "type": "SGD", "learning_rate": 0.1 }, { "type": "SGD", "momentum": 0.9, "nesterov": true },
                   "adagrad", "rmsprop", "adam"]
  }
}
`;

export const TEMPLATES: Template[] = [
  {
    id: 'mlp-relu',
    label: 'Fashion-MNIST MLP (relu)',
    detail: 'Flatten → Dense(100, relu) → Dense(10, softmax), Adam — 79,510 parameters',
    defaultName: 'fashion-mlp',
    text: mlp('relu', 'adam'),
  },
  {
    id: 'mlp-sigmoid',
    label: 'Fashion-MNIST MLP (sigmoid)',
    detail: 'Flatten → Dense(100, sigmoid) → Dense(10, softmax), SGD — the first model of the tutorial',
    defaultName: 'fashion-mlp-sigmoid',
    text: mlp('sigmoid', 'sgd'),
  },
  {
    id: 'small-cnn',
    label: 'Small CNN',
    detail: 'Conv2D → MaxPooling2D → Conv2D → MaxPooling2D → Dense, with BatchNormalization and Dropout',
    defaultName: 'fashion-cnn',
    text: `{
  // A small convolutional network for Fashion-MNIST. Conv2D wants (height, width, channels): Reshape adds the channel.
  "name": "\${name}",
  "dataset": { "name": "fashion-mnist", "validation_split": 0.2, "seed": 42 },
  "layers": [
    { "type": "Reshape", "target_shape": [28, 28, 1], "input_shape": [28, 28] },
    { "type": "Conv2D", "filters": 32, "kernel_size": 3, "padding": "same", "activation": "relu" },
    { "type": "MaxPooling2D", "pool_size": 2 },
    { "type": "Conv2D", "filters": 64, "kernel_size": 3, "padding": "same", "activation": "relu" },
    { "type": "MaxPooling2D", "pool_size": 2 },
    { "type": "BatchNormalization" },
    { "type": "Flatten" },
    { "type": "Dropout", "rate": 0.3 },
    { "type": "Dense", "units": 64, "activation": "relu" },
    { "type": "Dense", "units": 10, "activation": "softmax" }
  ],
  "compile": { "optimizer": "adam", "loss": "sparse_categorical_crossentropy", "metrics": ["accuracy"] },
  "fit": { "epochs": 3, "batch_size": 64 }
}
`,
  },
  {
    id: 'csv-classifier',
    label: 'CSV classifier',
    detail: 'A Dense classifier over the numeric columns of a CSV file with a header row',
    defaultName: 'csv-classifier',
    text: `{
  // Classifies rows of a CSV file: every column but "label" is a numeric feature.
  // Point "csv" at your file (relative to this one) and set input_shape to the number of feature columns.
  "name": "\${name}",
  "dataset": { "csv": "data/blobs.csv", "label": "label", "validation_split": 0.2, "seed": 42 },
  "layers": [
    { "type": "Dense", "units": 16, "activation": "relu", "input_shape": [4] },
    { "type": "Dense", "units": 3, "activation": "softmax" }
  ],
  "compile": { "optimizer": "adam", "loss": "sparse_categorical_crossentropy", "metrics": ["accuracy"] },
  "fit": { "epochs": 20, "batch_size": 16 }
}
`,
  },
  {
    id: 'text-classifier',
    label: 'Text classifier (Embedding + LSTM)',
    detail: 'Embedding → LSTM → Dense(1, sigmoid) over token ids in a CSV — 2,929 parameters',
    defaultName: 'text-classifier',
    text: `{
  // Classifies sequences of integer token ids (here 20 per row of a CSV, made for this template: ids 1-9 are
  // "positive" words, 10-19 "negative", the rest neutral). Embedding looks up a learned vector per id (0 < id < 50),
  // the LSTM reads the 20 vectors in order, and one sigmoid unit says positive or negative.
  "name": "\${name}",
  "dataset": { "csv": "data/reviews.csv", "label": "label", "validation_split": 0.2, "seed": 42 },
  "layers": [
    { "type": "Embedding", "input_dim": 50, "output_dim": 16, "input_shape": [20] },
    { "type": "LSTM", "units": 16 },
    { "type": "Dense", "units": 1, "activation": "sigmoid" }
  ],
  "compile": { "optimizer": "adam", "loss": "binary_crossentropy", "metrics": ["accuracy"] },
  "fit": { "epochs": 5, "batch_size": 32 }
}
`,
  },
  {
    id: 'small-resnet',
    label: 'Small ResNet (graph model)',
    detail: 'Two residual blocks (Conv2D → Conv2D, added to the block input) on Fashion-MNIST — 9,610 parameters',
    defaultName: 'fashion-resnet',
    text: `{
  // A small ResNet in the graph (functional) form: a layer with "inputs" takes the layers it names; without it,
  // the layer before. Each block adds its input back to its output (the skip connection), so the sum needs the same
  // shape on both sides: same filters and padding "same". Hover "add" to see how its shape is worked out.
  "name": "\${name}",
  "dataset": { "name": "fashion-mnist", "validation_split": 0.2, "seed": 42 },
  "layers": [
    { "type": "InputLayer", "shape": [28, 28], "name": "image" },
    { "type": "Reshape", "target_shape": [28, 28, 1] },
    { "type": "Conv2D", "filters": 16, "kernel_size": 3, "padding": "same", "activation": "relu", "name": "stem" },
    { "type": "Conv2D", "filters": 16, "kernel_size": 3, "padding": "same", "activation": "relu" },
    { "type": "Conv2D", "filters": 16, "kernel_size": 3, "padding": "same", "name": "block1_out" },
    { "type": "Add", "inputs": ["stem", "block1_out"] },
    { "type": "Activation", "activation": "relu" },
    { "type": "MaxPooling2D", "pool_size": 2, "name": "pool" },
    { "type": "Conv2D", "filters": 16, "kernel_size": 3, "padding": "same", "activation": "relu" },
    { "type": "Conv2D", "filters": 16, "kernel_size": 3, "padding": "same", "name": "block2_out" },
    { "type": "Add", "inputs": ["pool", "block2_out"] },
    { "type": "Activation", "activation": "relu" },
    { "type": "GlobalAveragePooling2D" },
    { "type": "Dense", "units": 10, "activation": "softmax" }
  ],
  "compile": { "optimizer": "adam", "loss": "sparse_categorical_crossentropy", "metrics": ["accuracy"] },
  "fit": { "epochs": 1, "batch_size": 64 }
}
`,
  },
];

/** Which Fashion-MNIST a template trains on: the bundled 3,000-image sample (seconds) or the full set (downloaded once). */
export type TemplateData = 'sample' | 'full';

/** Templates that train on Fashion-MNIST, and so can start on the sample. */
export function usesFashionMnist(template: Template): boolean {
  return template.text.includes('"name": "fashion-mnist"');
}

/** The data a template starts with unless the user picks: the sample for the CNN (slow on the full set), else the full set. */
export function defaultData(template: Template): TemplateData {
  return template.id === 'small-cnn' ? 'sample' : 'full';
}

/** The file text for a template, a chosen name (quoted safely into JSON) and, for Fashion-MNIST, which data. */
export function instantiate(template: Template, name: string, data: TemplateData = 'full'): string {
  const text = template.text.replace('"${name}"', JSON.stringify(name));
  return data === 'sample' ? text.replace('"name": "fashion-mnist"', '"name": "fashion-mnist-sample"') : text;
}

/** A file name users may type: letters, digits, dot, dash, underscore; no path separators. */
export function checkModelName(name: string): string | undefined {
  const trimmed = name.trim();
  if (!trimmed) return 'Enter a name for the model file.';
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/.test(trimmed)) {
    return 'Use letters, digits, dots, dashes and underscores (no spaces or slashes), starting with a letter or digit.';
  }
  return undefined;
}

/** `my-model` → `my-model.model.json`; a name that already ends so is kept. */
export function modelFileName(name: string): string {
  const n = name
    .trim()
    .replace(/\.model\.json$/, '')
    .replace(/\.json$/, '');
  return `${n}.model.json`;
}

/** Files a template needs beside the model file (relative path → text); written only when missing. */
export function companionFiles(template: Template): Record<string, string> {
  if (template.id === 'csv-classifier') return { 'data/blobs.csv': blobsCsv() };
  if (template.id === 'text-classifier') return { 'data/reviews.csv': reviewsCsv() };
  return {};
}

/**
 * A small, deterministic 3-class CSV (4 numeric features, 300 rows: three Gaussian blobs) so the CSV template
 * trains out of the box. Seeded, so every scaffold writes the same bytes.
 */
export function blobsCsv(rows = 300, seed = 7): string {
  const uniform = seeded(seed);
  const normal = () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
  const centres = { setosa: [5.0, 3.4, 1.5, 0.2], versicolor: [5.9, 2.8, 4.3, 1.3], virginica: [6.6, 3.0, 5.6, 2.0] };
  const names = Object.keys(centres) as (keyof typeof centres)[];
  const lines = ['f1,f2,f3,f4,label'];
  for (let i = 0; i < rows; i++) {
    const label = names[i % names.length];
    const features = centres[label].map((c) => (c + 0.35 * normal()).toFixed(3));
    lines.push(`${features.join(',')},${label}`);
  }
  return lines.join('\n') + '\n';
}

/** Uniform [0, 1) numbers from a seed (mulberry32), so companion files are the same bytes every time. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A deterministic toy sentiment set for the text template: 600 rows of 20 token ids (1-49) and a label. Ids 1-9 are
 * "positive" words, 10-19 "negative", 20-49 neutral; a row is positive when it holds more positive than negative
 * words (ties never occur: each row draws an odd number of sentiment words).
 */
export function reviewsCsv(rows = 600, seed = 11): string {
  const uniform = seeded(seed);
  const pick = (lo: number, hi: number) => lo + Math.floor(uniform() * (hi - lo + 1));
  const lines = [[...Array.from({ length: 20 }, (_, i) => `t${i}`), 'label'].join(',')];
  for (let r = 0; r < rows; r++) {
    const positive = r % 2 === 0;
    const sentiment = 2 * pick(1, 3) + 1;
    const majority = Math.ceil(sentiment / 2) + pick(0, Math.floor(sentiment / 2));
    const ids: number[] = [];
    for (let k = 0; k < sentiment; k++) ids.push(k < majority === positive ? pick(1, 9) : pick(10, 19));
    while (ids.length < 20) ids.push(pick(20, 49));
    for (let i = ids.length - 1; i > 0; i--) {
      const j = Math.floor(uniform() * (i + 1));
      [ids[i], ids[j]] = [ids[j], ids[i]];
    }
    lines.push(`${ids.join(',')},${positive ? 'positive' : 'negative'}`);
  }
  return lines.join('\n') + '\n';
}
