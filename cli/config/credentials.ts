/**
 * Bearer tokens for named servers, kept apart from the config in `credentials.yaml` beside
 * it, a file only its owner may read (mode 0600): a file that anyone else can read is
 * refused (`CredentialsInsecure`) rather than used. `LANCELOG_TOKEN` overrides it for one
 * invocation (docs/cli.md "Config").
 */
import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { z } from 'zod';
import { LancelogError } from '../../src/index.js';
import { configDir } from './operator-config.js';
import { parseYamlChecked } from './yaml-checked.js';

const CredentialsSchema = z.strictObject({
  tokens: z.record(z.string().min(1), z.string().min(1)).default({}),
});
type Credentials = z.infer<typeof CredentialsSchema>;

export function credentialsPath(): string {
  return join(configDir(), 'credentials.yaml');
}

/** The stored tokens; none when there is no file. Refuses a file others may read. */
export function readCredentials(): Credentials {
  const file = credentialsPath();
  let mode: number;
  try {
    mode = statSync(file).mode;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { tokens: {} };
    throw err;
  }
  if ((mode & 0o077) !== 0)
    throw new LancelogError(
      'CredentialsInsecure',
      `${file} can be read by others (mode ${(mode & 0o777).toString(8)}); run chmod 600 ${file}, or log in again`,
      { file, mode: (mode & 0o777).toString(8) },
    );
  return parseYamlChecked(readFileSync(file, 'utf8'), file, CredentialsSchema);
}

/** Writes the tokens: a new file of mode 0600, fsynced, renamed over the old one. */
function writeCredentials(creds: Credentials): string {
  const file = credentialsPath();
  mkdirSync(configDir(), { recursive: true, mode: 0o700 });
  const tmp = `${file}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, stringify(creds));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
  return file;
}

/** Stores `token` for server `name`; returns the file. */
export function storeToken(name: string, token: string): string {
  let creds: Credentials;
  try {
    creds = readCredentials();
  } catch (err) {
    // An insecure file is replaced (its tokens may have leaked; the new file is 0600).
    if (!(err instanceof LancelogError && err.code === 'CredentialsInsecure')) throw err;
    rmSync(credentialsPath(), { force: true });
    creds = { tokens: {} };
  }
  return writeCredentials({ tokens: { ...creds.tokens, [name]: token } });
}

/** Removes the token of server `name`; false when there was none. */
export function removeToken(name: string): boolean {
  const creds = readCredentials();
  if (!(name in creds.tokens)) return false;
  const { [name]: _removed, ...rest } = creds.tokens;
  writeCredentials({ tokens: rest });
  return true;
}

/** The token for a request to server `name` (undefined for a bare URL): env, else the file. */
export function tokenFor(name: string | undefined): string | undefined {
  const env = process.env.LANCELOG_TOKEN;
  if (env !== undefined && env !== '') return env;
  if (name === undefined) return undefined;
  return readCredentials().tokens[name];
}
