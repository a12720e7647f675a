/** The shape of one entry of the error-code table (src/error-codes.ts). */
export interface ErrorCodeSpec {
  readonly classes: readonly string[];
  readonly exit: 1 | 2;
  readonly http: 400 | 401 | 403 | 404 | 409 | 413 | 500 | 501;
  readonly details: readonly string[];
}
