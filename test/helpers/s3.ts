/**
 * A real S3 server on 127.0.0.1 for one test file (scripts/s3-server.ts): started before
 * its tests, with the AWS variables set in this process (children inherit them), and
 * stopped, its objects removed and the variables restored after.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { startS3Server, type S3TestServer } from '../../scripts/s3-server.js';

export interface S3Fixture {
  server: S3TestServer;
  /** Where the server keeps its objects (s3rver: one file per object). */
  dir: string;
  /** A fresh prefix of the test bucket: `s3://<bucket>/<area>/r<n>`. */
  newUri(area?: string): string;
  /** Stops the server (until `start`). */
  stop(): Promise<void>;
  /** Starts it again on the same port and objects. */
  start(): Promise<void>;
  /** Stops the server and starts it again on the same port and objects. */
  restart(): Promise<void>;
}

export function useS3Server(): () => S3Fixture {
  let fixture: S3Fixture | undefined;
  const saved: Record<string, string | undefined> = {};
  let prefixes = 0;
  beforeAll(async () => {
    // Not a useTmpDirs directory: those are removed after each test.
    const dir = mkdtempSync(join(tmpdir(), 'lancelog-s3-'));
    const server = await startS3Server(dir);
    for (const [k, v] of Object.entries(server.env)) {
      saved[k] = process.env[k];
      process.env[k] = v;
    }
    const f: S3Fixture = {
      server,
      dir,
      newUri: (area = 'repos') => `s3://${server.bucket}/${area}/r${++prefixes}`,
      stop: () => f.server.close(),
      async start() {
        const port = Number(new URL(f.server.endpoint).port);
        f.server = await startS3Server(dir, f.server.bucket, port);
      },
      async restart() {
        await f.stop();
        await f.start();
      },
    };
    fixture = f;
  });
  afterAll(async () => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    if (fixture) {
      await fixture.server.close();
      rmSync(fixture.dir, { recursive: true, force: true });
    }
  });
  return () => {
    if (!fixture) throw new Error('useS3Server: the server starts in beforeAll');
    return fixture;
  };
}
