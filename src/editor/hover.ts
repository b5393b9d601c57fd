/** Hover on model documents and notebook cells: the core's `hoverAt` does the work; this adapts it to VS Code. */
import * as vscode from 'vscode';
import { hoverAt } from '../model';
import { readSettings } from './config';
import { contains, fromPosition, toRange } from './convert';
import { isModelDocument, type ModelDocuments } from './documents';

export function registerHover(documents: ModelDocuments, selector: vscode.DocumentSelector): vscode.Disposable {
  return vscode.languages.registerHoverProvider(selector, {
    async provideHover(doc, position) {
      if (!isModelDocument(doc)) return undefined;
      const view = await documents.view(doc);
      const pos = view.toModel(fromPosition(position));
      if (!pos) return undefined;
      const style = readSettings(doc.uri).settings.summaryStyle;
      for (const { parsed, analysis } of view.models) {
        if (!contains(parsed.range, pos)) continue;
        const hover = hoverAt(parsed, analysis, pos, style);
        if (hover) {
          const markdown = new vscode.MarkdownString(hover.markdown);
          markdown.supportThemeIcons = false;
          markdown.isTrusted = false;
          const range = view.toDocument(hover.range);
          return new vscode.Hover(markdown, range && toRange(range));
        }
      }
      return undefined;
    },
  });
}
