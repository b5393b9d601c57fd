/**
 * What Keras's callbacks do at the end of each epoch (and TerminateOnNaN after each batch), as a plain state
 * machine over epoch logs: no tfjs here, so every counter is unit-tested. The loop asks it after each epoch and
 * does what it says (keep a copy of the weights, change the learning rate, stop); at the end it asks which weights
 * to leave in the model.
 *
 * Semantics follow keras/src/callbacks: EarlyStopping (min_delta made negative when minimising, the wait counter
 * incremented before the comparison, reset only when the baseline is beaten too, no stop in epoch 0, nothing
 * before start_from_epoch, best weights restored at the end of training whether or not it stopped early);
 * ReduceLROnPlateau (min_delta applied as given, cooldown counted down before the comparison, lr never below
 * min_lr); ModelCheckpoint(save_best_only) keeps the weights of each improving epoch. Epoch numbers here are
 * 0-based like Keras's `on_epoch_end(epoch)`; messages print them 1-based, as Keras does.
 */
import { higherIsBetter, type EffectiveCallback } from '../../model/callbacks';

export interface StopInfo {
  /** The Keras callback that stopped the run. */
  callback: string;
  /** 1-based epoch after which it stopped. */
  epoch: number;
  /** One sentence for the CLI, the log and the panel. */
  message: string;
}

export interface EpochActions {
  /** Set when a callback stopped the run after this epoch. */
  stop?: StopInfo;
  /** The learning rate for the next epoch, when a callback changed it. */
  lr?: number;
  /** Copies of the current weights to take, by who keeps them. */
  keep: ('early' | 'checkpoint')[];
}

interface Monitor {
  name: string;
  higher: boolean;
}

function monitorOf(cb: EffectiveCallback): Monitor {
  const name = String(cb.monitor);
  const higher = higherIsBetter(name, String(cb.mode));
  if (higher === undefined) {
    throw new Error(`${cb.type} cannot tell whether '${name}' should go up or down; set mode to 'min' or 'max'.`);
  }
  return { name, higher };
}

const fmt = (x: number) => (Math.abs(x) >= 1e-3 || x === 0 ? x.toFixed(4) : x.toExponential(4));

export class CallbackRunner {
  private readonly early?: {
    cb: EffectiveCallback;
    monitor: Monitor;
    minDelta: number;
    wait: number;
    best: number;
    bestEpoch: number;
    hasBest: boolean;
  };
  private readonly plateau?: { cb: EffectiveCallback; monitor: Monitor; wait: number; cooldown: number; best: number };
  private readonly checkpoint?: {
    cb: EffectiveCallback;
    monitor: Monitor;
    best: number;
    bestEpoch: number;
    hasBest: boolean;
  };
  readonly terminateOnNaN: boolean;
  /** Notes for the record about what callbacks did (a reduction, a restore), in order. */
  readonly notes: string[] = [];

  constructor(callbacks: readonly EffectiveCallback[]) {
    const find = (type: string) => callbacks.find((c) => c.type === type);
    const early = find('EarlyStopping');
    if (early) {
      const monitor = monitorOf(early);
      const delta = Math.abs(Number(early.min_delta));
      this.early = {
        cb: early,
        monitor,
        minDelta: monitor.higher ? delta : -delta,
        wait: 0,
        best: monitor.higher ? -Infinity : Infinity,
        bestEpoch: 0,
        hasBest: false,
      };
    }
    const plateau = find('ReduceLROnPlateau');
    if (plateau) {
      // ReduceLROnPlateau decides its direction by "acc" in the name, not by the metric's direction.
      const mode = String(plateau.mode);
      const higher = mode === 'max' || (mode === 'auto' && String(plateau.monitor).includes('acc'));
      this.plateau = {
        cb: plateau,
        monitor: { name: String(plateau.monitor), higher },
        wait: 0,
        cooldown: 0,
        best: higher ? -Infinity : Infinity,
      };
    }
    const checkpoint = find('ModelCheckpoint');
    if (checkpoint && checkpoint.save_best_only === true) {
      const monitor = monitorOf(checkpoint);
      this.checkpoint = {
        cb: checkpoint,
        monitor,
        best: monitor.higher ? -Infinity : Infinity,
        bestEpoch: 0,
        hasBest: false,
      };
    }
    this.terminateOnNaN = callbacks.some((c) => c.type === 'TerminateOnNaN');
  }

  /** Whether any callback needs copies of the weights. */
  get keepsWeights(): boolean {
    return !!this.checkpoint || this.early?.cb.restore_best_weights === true;
  }

  /**
   * Keras's `on_epoch_end(epoch, logs)` for every callback; `epoch` is 0-based, `lr` the current learning rate.
   * Monitors missing from the logs are skipped, as Keras does (with a warning there; analysis warns here).
   */
  onEpochEnd(epoch: number, logs: Record<string, number>, lr: number): EpochActions {
    const actions: EpochActions = { keep: [] };
    const p = this.plateau;
    if (p && logs[p.monitor.name] !== undefined) {
      const current = logs[p.monitor.name];
      const minDelta = Number(p.cb.min_delta);
      if (p.cooldown > 0) {
        p.cooldown -= 1;
        p.wait = 0;
      }
      const better = p.monitor.higher ? current > p.best + minDelta : current < p.best - minDelta;
      if (better) {
        p.best = current;
        p.wait = 0;
      } else if (p.cooldown <= 0) {
        p.wait += 1;
        if (p.wait >= Number(p.cb.patience)) {
          const minLr = Number(p.cb.min_lr);
          if (lr > Math.fround(minLr)) {
            const next = Math.max(lr * Number(p.cb.factor), minLr);
            actions.lr = next;
            this.notes.push(`Epoch ${epoch + 1}: ReduceLROnPlateau reducing learning rate to ${next}.`);
            p.cooldown = Number(p.cb.cooldown);
            p.wait = 0;
          }
        }
      }
    }

    const c = this.checkpoint;
    if (c && logs[c.monitor.name] !== undefined) {
      const current = logs[c.monitor.name];
      if (c.monitor.higher ? current > c.best : current < c.best) {
        c.best = current;
        c.bestEpoch = epoch;
        c.hasBest = true;
        actions.keep.push('checkpoint');
      }
    }

    const e = this.early;
    if (e && logs[e.monitor.name] !== undefined && epoch >= Number(e.cb.start_from_epoch)) {
      const current = logs[e.monitor.name];
      const restore = e.cb.restore_best_weights === true;
      const improves = (value: number, reference: number) =>
        e.monitor.higher ? value - e.minDelta > reference : value - e.minDelta < reference;
      if (restore && !e.hasBest) {
        // Keras: if best weights were never set, the current weights are the best.
        e.hasBest = true;
        e.bestEpoch = epoch;
        if (!actions.keep.includes('early')) actions.keep.push('early');
      }
      e.wait += 1;
      if (improves(current, e.best)) {
        e.best = current;
        e.bestEpoch = epoch;
        if (restore && !actions.keep.includes('early')) actions.keep.push('early');
        const baseline = e.cb.baseline;
        if (baseline === null || improves(current, Number(baseline))) e.wait = 0;
      } else if (e.wait >= Number(e.cb.patience) && epoch > 0) {
        const waited = e.wait === 1 ? '1 epoch' : `${e.wait} epochs`;
        actions.stop = {
          callback: 'EarlyStopping',
          epoch: epoch + 1,
          message: `Epoch ${epoch + 1}: early stopping: ${e.monitor.name} did not improve on ${fmt(e.best)} for ${waited} (patience ${e.cb.patience}).`,
        };
      }
    }
    return actions;
  }

  /**
   * Keras's `on_train_end`: which kept weights the model should end with (EarlyStopping with
   * restore_best_weights), and a sentence saying so.
   */
  onTrainEnd(): { restore?: 'early'; epoch?: number; message?: string } {
    const e = this.early;
    if (e && e.cb.restore_best_weights === true && e.hasBest) {
      return {
        restore: 'early',
        epoch: e.bestEpoch + 1,
        message: `Restoring model weights from the end of the best epoch: ${e.bestEpoch + 1}.`,
      };
    }
    return {};
  }

  /** The epoch (1-based) whose weights ModelCheckpoint(save_best_only) kept, if any. */
  checkpointEpoch(): number | undefined {
    return this.checkpoint?.hasBest ? this.checkpoint.bestEpoch + 1 : undefined;
  }
}
