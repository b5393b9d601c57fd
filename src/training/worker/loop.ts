/**
 * The training loop, Keras `fit` semantics: per epoch a seeded shuffle, batches of `batch_size` (the last one
 * smaller), one engine step each, then validation. Epoch loss/accuracy are means over the epoch's batches weighted
 * by batch size, named as Keras names them (loss, accuracy, val_loss, val_accuracy).
 *
 * Values stay on the device: each step's loss and correct count are kept as scalars and read back together only when
 * a progress message is due (about ten a second) or the epoch ends. That one read also finds the exact batch where
 * the loss stopped being finite.
 *
 * Divergence is what a Keras user would call it: a loss (training or validation) or a weight that is NaN or
 * infinite. Crossentropies on softmax/sigmoid outputs use logits, so their loss is not capped and an exploding run
 * does reach infinity; the one other case, a network that exploded and then died, is `collapse.ts`'s.
 */
import type * as tfjs from '@tensorflow/tfjs';
import { createRng, identityOrder } from '../../data/rng';
import type { Split } from '../../data/types';
import { makeBatch, type BatchShape } from './batches';
import type { StepEngine, StepValues, TF } from './engine';
import { EXPLODED_TIMES, outputIsConstant } from './collapse';
import { evaluateSplit } from './evaluate';
import type { AccuracyKind, LossName } from './losses';
import type { EffectiveCallback } from '../../model/callbacks';
import { learningRateAt, type EffectiveSchedule } from '../../model/lr-schedules';
import { CallbackRunner, type StopInfo } from './keras-callbacks';

export interface FitOptions {
  tf: TF;
  model: tfjs.LayersModel;
  engine: StepEngine;
  loss: LossName;
  accuracy?: AccuracyKind;
  shape: BatchShape;
  train: Split;
  validation?: Split;
  epochs: number;
  batchSize: number;
  shuffle: boolean;
  seed: number;
  /** Milliseconds between batch progress reports. */
  progressEveryMs?: number;
  onBatch?(p: { epoch: number; batch: number; batches: number; loss: number; accuracy?: number }): void;
  onEpoch?(e: { epoch: number; logs: Record<string, number>; epochMs: number }): void;
  /** Polled after every step: true ends the run after the current batch. */
  shouldStop?(): boolean;
  /** The optimizer's learning rate (a number); with it every step's rate is passed to the engine and logged as `lr`. */
  learningRate?: number;
  /** A Keras schedule as the learning rate, evaluated at the number of steps already taken (as Keras does). */
  schedule?: EffectiveSchedule;
  /** Keras callbacks with their defaults (`model/callbacks.ts`). */
  callbacks?: readonly EffectiveCallback[];
  /** Keras's `initial_epoch`: epochs already trained (a continued run); `epochs` is then the total, as in Keras. */
  initialEpoch?: number;
  /** Optimizer steps already taken (a continued run): schedules go on from there. */
  initialStep?: number;
}

/** What callbacks did to a run that the caller must know: why it stopped, which weights it ends with. */
export interface CallbackOutcome {
  stoppedBy?: StopInfo;
  /** EarlyStopping(restore_best_weights): the model now holds these weights, from this (1-based) epoch. */
  restored?: { epoch: number; weights: Float32Array[]; message: string };
  /** ModelCheckpoint(save_best_only): the weights to save with the run, from this epoch. */
  checkpoint?: { epoch: number; weights: Float32Array[] };
}

export type FitOutcome =
  | ({ status: 'completed' | 'cancelled'; epochsDone: number } & CallbackOutcome)
  | { status: 'failed'; epochsDone: number; error: string };

export async function fit(o: FitOptions): Promise<FitOutcome> {
  const { tf } = o;
  const rng = createRng(o.seed);
  const order = identityOrder(o.train.count);
  const batches = Math.ceil(o.train.count / o.batchSize);
  const every = o.progressEveryMs ?? 100;
  const chance = chanceLoss(o.loss, o.shape.numClasses);
  /** The first batch whose loss exceeded EXPLODED_TIMES × chance, if any did. */
  let explosion: { epoch: number; batch: number; loss: number } | undefined;
  const runner = new CallbackRunner(o.callbacks ?? []);
  let lr = o.learningRate;
  let steps = o.initialStep ?? 0;
  const first = (o.initialEpoch ?? 0) + 1;
  // A continued run shuffles as the uninterrupted run would have: the seeded sequence is advanced past done epochs.
  if (o.shuffle) for (let e = 1; e < first; e++) rng.shuffle(order);
  const logsLr = !!o.schedule || (o.callbacks ?? []).some((c) => c.type === 'ReduceLROnPlateau');
  const rateAt = (step: number) => (o.schedule ? learningRateAt(o.schedule, step) : lr);
  const kept: Partial<Record<'early' | 'checkpoint', { epoch: number; weights: Float32Array[] }>> = {};
  for (let epoch = first; epoch <= o.epochs; epoch++) {
    const started = performance.now();
    if (o.shuffle) rng.shuffle(order);
    const tally = new EpochTally(tf, o.batchSize, o.train.count);
    let lastReport = performance.now();
    for (let batch = 0; batch < batches; batch++) {
      const start = batch * o.batchSize;
      const end = Math.min(o.train.count, start + o.batchSize);
      // Without tensors when the engine reads the data set itself; else x and y tensors for this batch.
      let values: StepValues | undefined = o.engine.stepBatch?.(
        { split: o.train, order, start, end, shape: o.shape },
        rateAt(steps),
      );
      const result = values
        ? []
        : tf.tidy(() => {
            const { x, y } = makeBatch(tf, o.train, order, start, end, o.shape);
            if (o.engine.stepValues) {
              values = o.engine.stepValues(x, y, rateAt(steps));
              return [];
            }
            const r = o.engine.step(x, y, rateAt(steps));
            return r.correct ? [r.loss, r.correct] : [r.loss];
          });
      steps += 1;
      if (values) tally.add(values.loss, values.correct, end - start);
      else tally.add(result[0], result[1], end - start);
      const last = batch === batches - 1;
      if (last || performance.now() - lastReport >= every) {
        const bad = tally.read();
        if (bad !== undefined && runner.terminateOnNaN) {
          // Keras's TerminateOnNaN: "Batch N: Invalid loss, terminating training"; the epoch's logs are not kept.
          const message = `Epoch ${epoch}, batch ${bad.batch}: invalid loss (${bad.value}), terminating training (TerminateOnNaN); the weights are not usable, so the run is not evaluated.`;
          return {
            status: 'completed',
            epochsDone: epoch - 1,
            stoppedBy: { callback: 'TerminateOnNaN', epoch, message },
          };
        }
        if (bad !== undefined) {
          return {
            status: 'failed',
            epochsDone: epoch - 1,
            error: `The loss became ${bad.value} at epoch ${epoch}, batch ${bad.batch}: training diverged. Try a smaller learning_rate.`,
          };
        }
        if (!explosion && chance !== undefined && tally.peak.loss > EXPLODED_TIMES * chance)
          explosion = { epoch, ...tally.peak };
        const mean = tally.meanLoss();
        o.onBatch?.({ epoch, batch: batch + 1, batches, loss: mean, accuracy: tally.meanAccuracy(o.accuracy) });
        lastReport = performance.now();
        // Let the worker read a pending `stop` and flush the messages it sent.
        await new Promise((r) => setImmediate(r));
      }
      // A stop during the epoch's last step lets the epoch finish: its numbers are all there.
      if (!last && o.shouldStop?.()) {
        tally.dispose();
        return { status: 'cancelled', epochsDone: epoch - 1 };
      }
    }
    o.engine.sync();
    // The last step's update is not in any loss yet: an overflow there would only show in the next epoch.
    if (!(o.engine.weightsFinite?.() ?? weightsFinite(tf, o.model))) {
      return {
        status: 'failed',
        epochsDone: epoch - 1,
        error: `Training diverged at epoch ${epoch}: some weights became NaN or infinite. Try a smaller learning_rate.`,
      };
    }
    if (explosion && outputIsConstant(tf, o.model, o.train, o.shape)) {
      const where =
        explosion.epoch === epoch ? `batch ${explosion.batch}` : `epoch ${explosion.epoch}, batch ${explosion.batch}`;
      return {
        status: 'failed',
        epochsDone: epoch - 1,
        error: `Training diverged at epoch ${epoch}: the loss jumped to ${formatLoss(explosion.loss)} at ${where} (chance level is ${chance!.toFixed(1)}) and the network now gives the same output for every input. Try a smaller learning_rate.`,
      };
    }
    const logs: Record<string, number> = { loss: tally.meanLoss() };
    if (o.accuracy) logs.accuracy = tally.meanAccuracy(o.accuracy)!;
    if (o.validation && o.validation.count > 0) {
      const val = evaluateSplit(tf, o.model, o.validation, { loss: o.loss, accuracy: o.accuracy, shape: o.shape });
      if (!Number.isFinite(val.loss)) {
        return {
          status: 'failed',
          epochsDone: epoch - 1,
          error: `The validation loss became ${val.loss} at epoch ${epoch}: training diverged. Try a smaller learning_rate.`,
        };
      }
      logs.val_loss = val.loss;
      if (val.accuracy !== undefined) logs.val_accuracy = val.accuracy;
    }
    // Keras logs the learning rate the optimizer holds at the end of the epoch (ReduceLROnPlateau's `lr`).
    // Like Keras, only when the rate can change: a schedule or ReduceLROnPlateau.
    const lrNow = rateAt(steps);
    if (lrNow !== undefined && logsLr) logs.lr = lrNow;
    const actions = runner.onEpochEnd(epoch - 1, logs, lrNow ?? 0);
    if (actions.lr !== undefined) lr = actions.lr;
    for (const who of actions.keep) kept[who] = { epoch, weights: readWeights(o.model) };
    o.onEpoch?.({ epoch, logs, epochMs: performance.now() - started });
    await new Promise((r) => setImmediate(r));
    if (actions.stop)
      return { status: 'completed', epochsDone: epoch, ...trainEnd(runner, kept), stoppedBy: actions.stop };
    if (o.shouldStop?.() && epoch < o.epochs) return { status: 'cancelled', epochsDone: epoch };
  }
  return { status: 'completed', epochsDone: o.epochs, ...trainEnd(runner, kept) };
}

/** Keras's `on_train_end`: the weights EarlyStopping restores and those ModelCheckpoint kept. */
function trainEnd(
  runner: CallbackRunner,
  kept: Partial<Record<'early' | 'checkpoint', { epoch: number; weights: Float32Array[] }>>,
): CallbackOutcome {
  const out: CallbackOutcome = {};
  const end = runner.onTrainEnd();
  if (end.restore && kept.early) out.restored = { ...kept.early, message: end.message! };
  if (kept.checkpoint) out.checkpoint = kept.checkpoint;
  return out;
}

/** A copy of every weight of the model (the engine has synced them at the end of the epoch). */
function readWeights(model: tfjs.LayersModel): Float32Array[] {
  return model.getWeights().map((w) => Float32Array.from(w.dataSync() as Float32Array));
}

/** The crossentropy of a uniform guess (ln k for k classes, ln 2 for binary); undefined for other losses. */
export function chanceLoss(loss: LossName, numClasses: number): number | undefined {
  if (loss === 'binary_crossentropy') return Math.log(2);
  if (loss === 'sparse_categorical_crossentropy' || loss === 'categorical_crossentropy')
    return Math.log(Math.max(2, numClasses));
  return undefined;
}

function formatLoss(x: number): string {
  return x.toLocaleString('en-US', { maximumFractionDigits: 1 });
}

/** Whether every weight of the model is finite, in one read from the device. */
function weightsFinite(tf: TF, model: tfjs.LayersModel): boolean {
  const weights = model.getWeights();
  if (weights.length === 0) return true;
  const bad = tf.tidy(() => tf.addN(weights.map((w) => tf.sum(tf.cast(tf.logicalNot(tf.isFinite(w)), 'float32')))));
  const count = bad.dataSync()[0];
  bad.dispose();
  return count === 0;
}

/** Sums of an epoch so far; per-step scalars wait on the device until `read()`. */
class EpochTally {
  /** Per batch since the last read: its loss and correct count, as a tensor or (`stepValues`) as a number. */
  private pendingLoss: (tfjs.Tensor | number)[] = [];
  private pendingCorrect: (tfjs.Tensor | number)[] = [];
  private pendingSizes: number[] = [];
  private lossSum = 0;
  private correctSum = 0;
  private seen = 0;
  private batchesRead = 0;
  /** The largest batch loss read so far and its 1-based batch number. */
  peak = { loss: -Infinity, batch: 0 };

  constructor(
    private readonly tf: TF,
    readonly batchSize: number,
    readonly total: number,
  ) {}

  add(loss: tfjs.Tensor | number, correct: tfjs.Tensor | number | undefined, size: number): void {
    this.pendingLoss.push(loss);
    if (correct !== undefined) this.pendingCorrect.push(correct);
    this.pendingSizes.push(size);
  }

  /** The pending values as float32 (as a scalar tensor holds them), the tensors among them read in one transfer. */
  private values(pending: (tfjs.Tensor | number)[]): Float32Array {
    const { tf } = this;
    const tensors = pending.filter((p): p is tfjs.Tensor => typeof p !== 'number');
    const read = tensors.length ? (tf.tidy(() => tf.stack(tensors).dataSync()) as Float32Array) : undefined;
    let t = 0;
    return Float32Array.from(pending, (p) => (typeof p === 'number' ? p : read![t++]));
  }

  /** Reads pending values; returns the first non-finite loss with its 1-based batch number, if any. */
  read(): { value: string; batch: number } | undefined {
    const losses = this.values(this.pendingLoss);
    const corrects = this.pendingCorrect.length ? this.values(this.pendingCorrect) : undefined;
    const sizes = this.pendingSizes;
    this.dispose();
    for (let i = 0; i < losses.length; i++) {
      if (!Number.isFinite(losses[i])) {
        return { value: Number.isNaN(losses[i]) ? 'NaN' : 'infinite', batch: this.batchesRead + i + 1 };
      }
      if (losses[i] > this.peak.loss) this.peak = { loss: losses[i], batch: this.batchesRead + i + 1 };
      this.lossSum += losses[i] * sizes[i];
      if (corrects) this.correctSum += corrects[i];
      this.seen += sizes[i];
    }
    this.batchesRead += losses.length;
    return undefined;
  }

  meanLoss(): number {
    return this.seen ? this.lossSum / this.seen : 0;
  }

  meanAccuracy(kind: AccuracyKind | undefined): number | undefined {
    return kind && this.seen ? this.correctSum / this.seen : undefined;
  }

  dispose(): void {
    this.tf.dispose([...this.pendingLoss, ...this.pendingCorrect].filter((p) => typeof p !== 'number'));
    this.pendingLoss = [];
    this.pendingCorrect = [];
    this.pendingSizes = [];
  }
}
