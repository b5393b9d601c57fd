/**
 * Entry of dist/worker.js: one training run per process, driven over the fork IPC channel by `RunPool`.
 * `start` runs the spec; `stop` ends it after the current batch. The process exits once its `finished` event is out.
 *
 * Ctrl-C in a terminal sends SIGINT to the whole process group, workers included: it means the same as `stop`, so
 * the run ends after its current batch as `cancelled` with its finished epochs (the CLI stops the runs too).
 */
import type { WorkerEvent } from '../../protocol';
import { runTraining } from './run';
import { HEARTBEAT_MS, isWorkerRequest } from '../worker-messages';

const controller = new AbortController();
const control = { stopped: false, signal: controller.signal };
let running = false;

function send(event: WorkerEvent): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send || !process.connected) return resolve();
    process.send(event, undefined, {}, () => resolve());
  });
}

function stop(): void {
  control.stopped = true;
  controller.abort();
}

let interrupts = 0;
// SIGTERM and SIGHUP (a closed terminal reaches the whole session) mean the same as Ctrl-C.
for (const name of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(name, () => {
    // A second one means "now": the run's record keeps what the pool had already received.
    if (++interrupts > 1) process.exit(130);
    stop();
  });
}

process.on('message', (message) => {
  if (!isWorkerRequest(message)) return;
  if (message.type === 'stop') {
    stop();
    return;
  }
  if (running) return;
  running = true;
  let last: Promise<void> = Promise.resolve();
  runTraining(
    message.run,
    (event) => {
      last = send(event);
    },
    control,
  ).then(
    async () => {
      await last;
      process.exit(0);
    },
    async (e) => {
      // runTraining reports its own failures; reaching here is a bug in it.
      process.stderr.write(`model-lab worker: ${e instanceof Error ? e.stack : String(e)}\n`);
      await last;
      process.exit(1);
    },
  );
});

// A heartbeat, so the pool can tell a busy worker from a suspended or wedged one (host/worker-watch.ts). It is not
// a WorkerEvent: the pool counts any message as a sign of life and folds only events into the run.
setInterval(() => {
  if (process.connected) process.send?.({ type: 'heartbeat' });
}, HEARTBEAT_MS).unref();

// The pool went away (the editor closed, the CLI was killed): nobody is listening, so stop.
process.on('disconnect', () => process.exit(0));
