/** Conversions between the core's plain positions/diagnostics and VS Code's classes. */
import * as vscode from 'vscode';
import type { Diagnostic, Position, Range } from '../model/types';

export const toPosition = (p: Position) => new vscode.Position(p.line, p.character);
export const toRange = (r: Range) => new vscode.Range(toPosition(r.start), toPosition(r.end));
export const fromPosition = (p: vscode.Position): Position => ({ line: p.line, character: p.character });

const SEVERITY: Record<Diagnostic['severity'], vscode.DiagnosticSeverity> = {
  error: vscode.DiagnosticSeverity.Error,
  warning: vscode.DiagnosticSeverity.Warning,
  information: vscode.DiagnosticSeverity.Information,
};

export function toDiagnostic(d: Diagnostic): vscode.Diagnostic {
  const diagnostic = new vscode.Diagnostic(toRange(d.range), d.message, SEVERITY[d.severity]);
  diagnostic.source = 'Model Lab';
  diagnostic.code = d.code;
  return diagnostic;
}

export { containsPosition as contains } from '../model/text-lines';
