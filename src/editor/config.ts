/** Typed, checked access to the `modelLab.*` settings (the checks themselves are pure, in settings.ts). */
import * as vscode from 'vscode';
import { checkSettings, type Settings } from './settings';

const KEYS = [
  'backend',
  'maxParallelRuns',
  'dataFolder',
  'runsFolder',
  'saveWeights',
  'inlineHints',
  'summaryStyle',
] as const;

export function readSettings(scope?: vscode.ConfigurationScope): { settings: Settings; problems: string[] } {
  const config = vscode.workspace.getConfiguration('modelLab', scope);
  const raw: Record<string, unknown> = {};
  for (const key of KEYS) raw[key] = config.get(key);
  return checkSettings(raw);
}
