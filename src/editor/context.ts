/** The small context object every command and controller receives. */
import type * as vscode from 'vscode';
import type { ResultsPanel } from '../panel/results-panel';
import type { ModelDocuments } from './documents';

export interface ExtensionContextLike {
  extensionUri: vscode.Uri;
  globalStorageUri: vscode.Uri;
  log: vscode.LogOutputChannel;
  documents: ModelDocuments;
  /** Reveals (creating if needed) the results panel. */
  showResults(): ResultsPanel;
  /** The results panel when it exists. */
  panel(): ResultsPanel | undefined;
}
