/** Reading user-named files for commands, with a typed error that names the file. */
import { readFileSync } from 'node:fs';
import { LancelogError } from '../src/light.js';

export function readSourceFile(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new LancelogError(
      'FileNotFound',
      `cannot read ${what} '${path}': ${code === 'ENOENT' ? 'no such file' : (err as Error).message}`,
      { file: path, reason: code ?? 'unknown' },
    );
  }
}
