/**
 * The results panel's HTML: a strict Content Security Policy (nothing but our own script, by nonce; no remote
 * resources), and the bundle. The UI's stylesheet ships inside the bundle and is adopted as a constructed
 * stylesheet, which style-src does not govern, so no 'unsafe-inline' is needed — the toolkit injects its styles
 * the same way. FAST (under the toolkit) probes for :focus-visible with a <style> element, tagged with the nonce it
 * reads from <meta property="csp-nonce">.
 */
import { randomBytes } from 'node:crypto';

export interface PanelHtmlOptions {
  /** `webview.asWebviewUri(dist/webview.js)`. */
  scriptUri: string;
  /** An optional extra stylesheet (asWebviewUri). */
  styleUri?: string;
  /** `webview.cspSource`. */
  cspSource: string;
  nonce: string;
  title?: string;
}

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** 32 random letters and digits from the system CSPRNG (rejection sampling keeps them uniform). */
export function makeNonce(): string {
  let out = '';
  while (out.length < 32) {
    for (const byte of randomBytes(48)) {
      if (byte < 248 && out.length < 32) out += ALNUM[byte % 62];
    }
  }
  return out;
}

/** Text for an HTML text node or a double-quoted attribute (every attribute here is double-quoted). */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function cspFor(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `img-src ${cspSource} data:`,
    `style-src ${cspSource} 'nonce-${nonce}'`,
    `script-src 'nonce-${nonce}'`,
    `font-src ${cspSource}`,
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
}

export function panelHtml(opts: PanelHtmlOptions): string {
  if (!/^[A-Za-z0-9+/=]{16,}$/.test(opts.nonce))
    throw new Error('panelHtml: the nonce must be at least 16 base64 characters.');
  const title = escapeHtml(opts.title ?? 'Model Lab Results');
  const style = opts.styleUri
    ? `\n  <link rel="stylesheet" href="${escapeHtml(opts.styleUri)}" nonce="${opts.nonce}">`
    : '';
  return `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="UTF-8">
  <meta http-equiv="Content-Security-Policy" content="${escapeHtml(cspFor(opts.cspSource, opts.nonce))}">
  <meta name="viewport" content="width=device-width, initial-scale=1.0">
  <meta property="csp-nonce" content="${opts.nonce}">
  <title>${title}</title>${style}
</head>
<body>
  <script nonce="${opts.nonce}" src="${escapeHtml(opts.scriptUri)}"></script>
</body>
</html>
`;
}
