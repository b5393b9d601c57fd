/**
 * Shape checks for messages between the pool and its workers. Both ends are Model Lab, but from different builds
 * in the field (a stale dist/worker.js): a message that does not fit is dropped rather than trusted.
 */
import type { WorkerEvent, WorkerRequest } from '../protocol';

/** How often a worker says it is alive (`{ type: 'heartbeat' }`) even with nothing to report; host/worker-watch.ts. */
export const HEARTBEAT_MS = 2_000;

type Plain = Record<string, unknown>;
const isObject = (v: unknown): v is Plain => typeof v === 'object' && v !== null && !Array.isArray(v);
const isNum = (v: unknown): v is number => typeof v === 'number';

export function isWorkerEvent(m: unknown): m is WorkerEvent {
  if (!isObject(m) || typeof m.runId !== 'string') return false;
  switch (m.type) {
    case 'started':
      return typeof m.backend === 'string' && isObject(m.dataset) && isObject(m.optimizer) && isNum(m.epochs);
    case 'progress':
      return typeof m.message === 'string';
    case 'batch':
      return isNum(m.epoch) && isNum(m.batch) && isNum(m.batches) && isNum(m.loss);
    case 'epoch':
      return isNum(m.epoch) && m.epoch >= 1 && isObject(m.logs) && isNum(m.epochMs);
    case 'evaluation':
      return isObject(m.evaluation) && (m.evaluation.split === 'validation' || m.evaluation.split === 'test');
    case 'finished':
      return (m.status === 'completed' || m.status === 'cancelled' || m.status === 'failed') && isNum(m.durationMs);
    default:
      return false;
  }
}

export function isWorkerRequest(m: unknown): m is WorkerRequest {
  if (!isObject(m)) return false;
  if (m.type === 'stop') return true;
  return m.type === 'start' && isObject(m.run) && typeof m.run.runId === 'string' && isObject(m.run.definition);
}
