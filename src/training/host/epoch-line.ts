/** Text every front end prints the same way about training (CLI lines, the extension's output channel). */

const METRIC_ORDER = ['loss', 'accuracy', 'val_loss', 'val_accuracy'];

/** Keras's metric order first, then anything else in the order it came. */
export function orderedMetrics(logs: Record<string, number>): string[] {
  const names = Object.keys(logs);
  return [...METRIC_ORDER.filter((m) => names.includes(m)), ...names.filter((m) => !METRIC_ORDER.includes(m))];
}

/** Keras-like: `Epoch 1/5 - 4.2s - loss: 0.5273 - accuracy: 0.8153 - val_loss: 0.4511 - val_accuracy: 0.8402` */
export function formatEpochLine(epoch: number, epochs: number, epochMs: number, logs: Record<string, number>): string {
  const parts = [`Epoch ${epoch}/${epochs}`, `${(epochMs / 1000).toFixed(1)}s`];
  for (const m of orderedMetrics(logs)) parts.push(`${m}: ${formatLogValue(logs[m])}`);
  return parts.join(' - ');
}

/** Keras's progress bar: `%.4f` above 1e-3, else `%.4e` (`lr: 1.0000e-04`). */
export function formatLogValue(x: number): string {
  if (Math.abs(x) > 1e-3 || !Number.isFinite(x)) return x.toFixed(4);
  const [mantissa, exponent] = x.toExponential(4).split('e');
  const e = Number(exponent);
  return `${mantissa}e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
}
