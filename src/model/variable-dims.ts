/**
 * Variable (None) dimensions of a model's input, and how training fixes them from the data. Keras leaves a
 * dimension None (`input_shape=(None, 10)`, Keras 2's Embedding without input_length) when any size will do; the
 * summary prints it as None, and a run takes the size from the examples it trains on (imdb's padded sequences,
 * Fashion-MNIST's 28 rows of 28 pixels for `input_shape=(None, 28)`).
 */
import { formatShape } from './number-format';

/** Whether a shape has a variable (None) dimension. */
export const hasVariableDim = (shape: readonly (number | null)[] | undefined): boolean =>
  shape !== undefined && shape.some((d) => d === null);

/**
 * The input shape a run trains with: `declared` with each None taken from the dataset's `example` shape. Of the
 * same rank, each None takes the example's size there and each known size must equal it; of another rank (Model
 * Lab reshapes examples of the same size), a single None takes what the known sizes leave. Otherwise a sentence
 * saying why the data cannot fix it. A shape without None is returned as is (its size is checked elsewhere).
 */
export function fillVariableDims(
  declared: readonly (number | null)[],
  example: readonly number[],
  dataName: string,
): { shape: number[] } | { error: string } {
  if (!hasVariableDim(declared)) return { shape: declared as number[] };
  const model = formatShape([null, ...declared]);
  const data = formatShape([...example], false);
  if (declared.length === example.length) {
    const clash = declared.findIndex((d, i) => d !== null && d !== example[i]);
    if (clash < 0) return { shape: declared.map((d, i) => d ?? example[i]) };
    return {
      error: `The model's input ${model} does not fit '${dataName}', whose examples are ${data}: axis ${clash + 1} is ${declared[clash]} in the model and ${example[clash]} in the data.`,
    };
  }
  const size = example.reduce((a, b) => a * b, 1);
  const known = declared.reduce<number>((a, d) => a * (d ?? 1), 1);
  const variable = declared.filter((d) => d === null).length;
  if (variable === 1 && size % known === 0) return { shape: declared.map((d) => d ?? size / known) };
  return {
    error: `The model's input ${model} has ${variable === 1 ? 'a None dimension' : `${variable} None dimensions`} that '${dataName}' cannot fix: its examples are ${data} (${size} values); give the input a shape of the data's rank, e.g. input_shape=${formatShape([...example])}.`,
  };
}
