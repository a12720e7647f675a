/** The shape of one entry of the error-code table (src/error-codes.ts). */
export interface ErrorCodeSpec {
  /**
   * The one class every throw site raises the code as: a one-element tuple, so a second
   * class does not compile (test/errors.test.ts checks the codes once raised under two).
   */
  readonly classes: readonly [string];
  readonly exit: 1 | 2 | 4;
  readonly http: 400 | 401 | 403 | 404 | 409 | 410 | 412 | 413 | 416 | 500 | 501;
  readonly details: readonly string[];
}
