/** Hover on model documents: the core's `hoverAt` does the work; this adapts it to VS Code. */
import * as vscode from 'vscode';
import { hoverAt } from '../model';
import { contains, fromPosition, toRange } from './convert';
import { isModelDocument, type ModelDocuments } from './documents';

export function registerHover(documents: ModelDocuments, selector: vscode.DocumentSelector): vscode.Disposable {
  return vscode.languages.registerHoverProvider(selector, {
    async provideHover(doc, position) {
      if (!isModelDocument(doc)) return undefined;
      const pos = fromPosition(position);
      for (const { parsed, analysis } of await documents.get(doc)) {
        if (!contains(parsed.range, pos)) continue;
        const hover = hoverAt(parsed, analysis, pos);
        if (hover) {
          const markdown = new vscode.MarkdownString(hover.markdown);
          markdown.supportThemeIcons = false;
          markdown.isTrusted = false;
          return new vscode.Hover(markdown, toRange(hover.range));
        }
      }
      return undefined;
    },
  });
}
