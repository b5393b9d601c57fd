/** Says once, after the first steps are timed, that a session will take long, and offers to stop it. */
import * as vscode from 'vscode';
import { formatEstimate, LongJobWatch } from '../training/host/long-job';
import type { RunRecord, WorkerEvent } from '../protocol';

export function longJobPrompt(
  kind: 'train' | 'compare',
  parallel: number,
  stop: () => void,
): (record: RunRecord, event: WorkerEvent) => void {
  const watch = new LongJobWatch({ parallel });
  return (record, event) => {
    const total = watch.observe(record, event);
    if (total === undefined) return;
    const what = kind === 'compare' ? 'This comparison' : 'This training';
    void vscode.window
      .showWarningMessage(
        `Model Lab: ${what} needs ${formatEstimate(total)} more (timed over its first steps). For a quick look, use "dataset": "fashion-mnist-sample" or fewer epochs.`,
        'Keep going',
        'Stop',
      )
      .then((choice) => {
        if (choice === 'Stop') stop();
      });
  };
}
