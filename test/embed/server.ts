/**
 * A small OpenAI-compatible embeddings server on 127.0.0.1 for the provider tests:
 * each request is answered by the next scripted behaviour (the last one repeats),
 * and every request body is recorded.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mockEmbedding } from '../../src/index.js';

export type Behaviour =
  | { kind: 'ok' }
  | { kind: 'status'; status: number; body?: string }
  | { kind: 'hang' }
  | { kind: 'raw'; body: string }
  | { kind: 'dimension'; dimension: number };

export interface Recorded {
  authorization: string | undefined;
  body: { model: string; input: string[]; dimensions: number };
}

export interface EmbeddingServer {
  baseUrl: string;
  requests: Recorded[];
  close(): Promise<void>;
}

/** The vector the server gives `text`: the mock's, scaled by 3 (so the client must normalise). */
export function serverVector(text: string, dimension: number): number[] {
  return Array.from(mockEmbedding(text, dimension), (x) => x * 3);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function answer(b: Behaviour, body: Recorded['body'], res: ServerResponse): void {
  if (b.kind === 'hang') return; // never answers: the client's timeout must fire
  if (b.kind === 'status') {
    res.writeHead(b.status, { 'content-type': 'application/json' });
    res.end(b.body ?? JSON.stringify({ error: { message: `scripted ${b.status}` } }));
    return;
  }
  res.writeHead(200, { 'content-type': 'application/json' });
  if (b.kind === 'raw') {
    res.end(b.body);
    return;
  }
  const dim = b.kind === 'dimension' ? b.dimension : body.dimensions;
  // Answer in reverse order: the client must place vectors by `index`.
  const data = body.input
    .map((t, index) => ({ object: 'embedding', index, embedding: serverVector(t, dim) }))
    .reverse();
  res.end(JSON.stringify({ object: 'list', data, model: body.model }));
}

export async function startEmbeddingServer(script: Behaviour[]): Promise<EmbeddingServer> {
  const requests: Recorded[] = [];
  const open = new Set<ServerResponse>();
  const server: Server = createServer((req, res) => {
    open.add(res);
    res.on('close', () => open.delete(res));
    void readBody(req).then((text) => {
      const body = JSON.parse(text) as Recorded['body'];
      requests.push({ authorization: req.headers.authorization, body });
      answer(script[Math.min(requests.length - 1, script.length - 1)], body, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of open) res.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A port nothing listens on (bound, then released). */
export async function closedPortUrl(): Promise<string> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return `http://127.0.0.1:${port}/v1`;
}
