/**
 * A dataset mirror for download tests: a local HTTP server on 127.0.0.1 serving `bodies` under `/<folder>/` (any
 * first folder, so a redirect can move them), with `override` replacing some responses (errors, stalls, wrong
 * bytes). Nothing here reaches the internet.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Mirror {
  /** The base URL, ending in `/`, that a DataRequest's `mirror` takes. */
  url: string;
  /** Every request's path, in order. */
  requests: string[];
  close(): Promise<void>;
}

/** Says whether it answered the request for `name` (the path without its first folder) itself. */
export type Override = (name: string, res: ServerResponse, req: IncomingMessage) => boolean;

export async function serveFiles(
  folder: string,
  bodies: Readonly<Record<string, Buffer>>,
  override: Override = () => false,
): Promise<Mirror> {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    requests.push(req.url ?? '');
    const name = (req.url ?? '').replace(/^\/[^/]*\//, '');
    if (override(name, res, req)) return;
    const body = Object.hasOwn(bodies, name) ? bodies[name] : undefined;
    if (!body) return void res.writeHead(404).end('not found');
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length }).end(body);
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/${folder}/`,
    requests,
    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}
