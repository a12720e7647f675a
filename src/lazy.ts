/**
 * Heavy dependencies (Arrow, LanceDB) loaded on first use instead of at import, so a
 * process that never touches a table — `lancelog --help`, `lancelog version`, journal
 * and branch commands — does not pay for them (they were most of the CLI's start-up).
 * Loading is synchronous, so call sites stay synchronous.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const requireHere = createRequire(import.meta.url);

/** Every lazy value made by `lazy`, for `loadEveryLazy`. */
const everyLazy: Array<() => unknown> = [];

/** `load()` on the first call, its value on every later one. */
export function lazy<T>(load: () => T): () => T {
  let loaded = false;
  let value: T;
  const get = (): T => {
    if (!loaded) {
      value = load();
      loaded = true;
    }
    return value;
  };
  everyLazy.push(get);
  return get;
}

/**
 * Loads now every lazy dependency of the modules imported so far: a pre-started drill
 * writer (src/drill/child.ts `--warm`) pays its start-up before its case is known.
 */
export function loadEveryLazy(): void {
  for (const get of everyLazy) get();
}

/**
 * The module `specifier` resolves to as an `import` from here would load it — the ESM
 * build of a package that ships both — by require(esm) (Node ≥ 20.19): the same module
 * instance a static `import` gets.
 */
export function requireAsImport<T>(specifier: string): T {
  return requireHere(importPath(specifier)) as T;
}

/**
 * The file an `import` of the package `specifier` loads under Node. Where
 * `import.meta.resolve` is missing (Vitest's transformed modules), read the package's
 * `exports["."].node.import` next to the file `require` resolves.
 */
function importPath(specifier: string): string {
  if (typeof import.meta.resolve === 'function')
    return fileURLToPath(import.meta.resolve(specifier));
  const required = requireHere.resolve(specifier);
  for (let dir = dirname(required); dir !== dirname(dir); dir = dirname(dir)) {
    let pkg: { name?: string; exports?: Record<string, unknown> };
    try {
      pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as typeof pkg;
    } catch {
      continue;
    }
    if (pkg.name !== specifier) continue;
    const root = pkg.exports?.['.'] as { node?: { import?: unknown } } | undefined;
    const entry = root?.node?.import;
    const file =
      typeof entry === 'string' ? entry : (entry as { default?: string } | undefined)?.default;
    return file ? join(dir, file) : required;
  }
  return required;
}
