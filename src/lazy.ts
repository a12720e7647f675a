/**
 * Heavy dependencies (Arrow, LanceDB) loaded on first use instead of at import, so a
 * process that never touches a table — `lancelog --help`, `lancelog version`, journal
 * and branch commands — does not pay for them (they were most of the CLI's start-up).
 * Loading is synchronous, so call sites stay synchronous.
 */
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const requireHere = createRequire(import.meta.url);

/** `load()` on the first call, its value on every later one. */
export function lazy<T>(load: () => T): () => T {
  let loaded = false;
  let value: T;
  return () => {
    if (!loaded) {
      value = load();
      loaded = true;
    }
    return value;
  };
}

/**
 * The module `specifier` resolves to as an `import` from here would load it — the ESM
 * build of a package that ships both — by require(esm) (Node ≥ 20.19): the same module
 * instance a static `import` gets.
 */
export function requireAsImport<T>(specifier: string): T {
  return requireHere(fileURLToPath(import.meta.resolve(specifier))) as T;
}
