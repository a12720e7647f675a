/**
 * A command action that loads its implementation when the command runs. Registration
 * (names, options, help) stays in light modules; what an action needs — the full API,
 * zod, SQLite, LanceDB — loads only then (esbuild puts it in chunks of its own), so
 * `lancelog --help` and `lancelog version` evaluate little more than commander
 * (docs/performance.md "Cold start").
 */
export function lazyAction<
  K extends string,
  M extends { [k in K]: (...args: never[]) => Promise<void> | void },
>(load: () => Promise<M>, name: K): (...args: unknown[]) => Promise<void> {
  return async (...args) => {
    const action = (await load())[name] as unknown as (...a: unknown[]) => Promise<void> | void;
    await action(...args);
  };
}
