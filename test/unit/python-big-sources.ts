/**
 * Large Python sources of the shapes real files have, for the reader's timing test and for profiling: dense Keras
 * code (many models, each with its data, compile, fit and plots), long comment and docstring blocks, long literal
 * lists (weights pasted into a script), and a notebook of many cells. Deterministic: the same text every time.
 */

const HEAD = `import numpy as np
import matplotlib.pyplot as plt
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers
from functools import partial

(X_train_full, y_train_full), (X_test, y_test) = keras.datasets.fashion_mnist.load_data()
X_train_full = X_train_full / 255.0
X_test = X_test / 255.0
DefaultConv2D = partial(keras.layers.Conv2D, kernel_size=3, padding="same", activation="relu")
`;

/** One block of everyday Keras code: a Sequential model, a functional one, a helper, training and plotting. */
function kerasBlock(i: number): string {
  return `
# ---- experiment ${i}: a small classifier and a convolutional one ------------------------------------
HIDDEN_${i} = ${32 + (i % 7) * 16}


def plot_history_${i}(history, title="run ${i}"):
    """Plots the loss and accuracy curves of one run.

    Args:
        history: what model.fit returned.
        title: the figure's title (e.g. 'run #${i}').
    """
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    for ax, key in zip(axes, ["loss", "accuracy"]):
        ax.plot(history.history[key], label=f"train {key}")
        ax.plot(history.history["val_" + key], label=f"val {key}")
        ax.set_title(f"{title}: {key}")
        ax.legend()
    plt.show()


model_${i} = keras.Sequential([
    keras.layers.Flatten(input_shape=[28, 28]),
    keras.layers.Dense(HIDDEN_${i}, activation="relu", kernel_initializer="he_normal"),
    keras.layers.Dropout(0.2),
    keras.layers.Dense(HIDDEN_${i} // 2, activation="relu"),
    keras.layers.Dense(10, activation="softmax"),
], name="classifier_${i}")
model_${i}.compile(loss="sparse_categorical_crossentropy",
                   optimizer=keras.optimizers.SGD(learning_rate=0.01, momentum=0.9),
                   metrics=["accuracy"])
history_${i} = model_${i}.fit(X_train_full, y_train_full, epochs=${1 + (i % 5)}, batch_size=32,
                              validation_split=0.1)
scores = model_${i}.evaluate(X_test, y_test, verbose=0)
print("experiment ${i}: test loss %.4f, accuracy %.4f" % (scores[0], scores[1]))
plot_history_${i}(history_${i})

inputs = keras.Input(shape=(28, 28, 1))
x = DefaultConv2D(filters=32)(inputs)
x = layers.MaxPooling2D()(x)
x = DefaultConv2D(filters=64)(x)
x = layers.GlobalAveragePooling2D()(x)
outputs = layers.Dense(10, activation="softmax")(x)
conv_${i} = keras.Model(inputs, outputs, name="conv_${i}")

results = {"name": "run_${i}", "params": [${i}, ${i + 1}, ${i + 2}], "notes": 'values #${i} "as printed"'}
for key, value in sorted(results.items()):
    if isinstance(value, list) and len(value) > 2:
        print(key, [v * 2 for v in value if v % 2 == 0])
    elif value is not None:
        print(key, value)
`;
}

/** A long run of comment lines and a long docstring, as licence headers and explanations are. */
function commentBlock(i: number): string {
  const comments = Array.from(
    { length: 40 },
    (_, k) => `# ${i}.${k} The model below is the one the chapter trains; its layers are explained line by line.\n`,
  ).join('');
  const doc = Array.from(
    { length: 40 },
    (_, k) => `    Paragraph ${i}.${k}: what the data looks like, and why.\n`,
  ).join('');
  return `${comments}def describe_${i}():\n    """Explains the data set.\n\n${doc}    """\n    return ${i}\n\n`;
}

/** A literal list pasted into a script (weights, a look-up table), many lines long. */
function literalBlock(i: number): string {
  const rows = Array.from(
    { length: 60 },
    (_, r) =>
      '    [' +
      Array.from({ length: 10 }, (_, c) => (((i * 31 + r * 7 + c * 13) % 997) / 997).toFixed(6)).join(', ') +
      '],\n',
  ).join('');
  return `WEIGHTS_${i} = np.array([\n${rows}])\n\n`;
}

/** Python source of about `bytes` characters, built from `block` repeated after the imports. */
export function pythonOfSize(bytes: number, block: (i: number) => string = kerasBlock): string {
  const parts = [HEAD];
  let size = HEAD.length;
  for (let i = 0; size < bytes; i++) {
    const b = block(i);
    parts.push(b);
    size += b.length;
  }
  return parts.join('');
}

/** The shapes of large file the timing test and the profile read, each about `bytes` long. */
export function bigSources(bytes: number): { name: string; text: string }[] {
  return [
    { name: 'dense Keras code', text: pythonOfSize(bytes, kerasBlock) },
    { name: 'comment and docstring blocks', text: pythonOfSize(bytes, commentBlock) },
    { name: 'long literal lists', text: pythonOfSize(bytes, literalBlock) },
    {
      name: 'a mix of all three',
      text: pythonOfSize(bytes, (i) => [kerasBlock, commentBlock, literalBlock][i % 3](i)),
    },
  ];
}

/** A notebook of about `bytes` of code: the dense Keras blocks one per cell, with a markdown cell between them. */
export function bigNotebook(bytes: number): string {
  const cells: object[] = [{ cell_type: 'code', source: HEAD, metadata: {}, outputs: [], execution_count: 1 }];
  let size = HEAD.length;
  for (let i = 0; size < bytes; i++) {
    const code = kerasBlock(i);
    size += code.length;
    cells.push({ cell_type: 'markdown', source: `## Experiment ${i}\nThe next cell trains it.`, metadata: {} });
    cells.push({ cell_type: 'code', source: code.split(/(?<=\n)/), metadata: {}, outputs: [], execution_count: i + 2 });
  }
  return JSON.stringify({ cells, metadata: { language_info: { name: 'python' } }, nbformat: 4, nbformat_minor: 5 });
}
