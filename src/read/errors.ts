/** Errors of read execution (docs/query-language.md "Read errors"). */
import { LancelogError } from '../errors.js';

/**
 * Errors of read execution (docs/query-language.md "Error codes"):
 * `UnsupportedQueryFeature` (a `nearest` with a String query: it needs the embedding
 * client), `VectorDimensionMismatch` (a query vector of the wrong length),
 * `InvalidSearchArgument` (a negative fuzzy max_edits). Raised before any row is
 * returned; never a partial or wrong answer.
 */
export class ReadError extends LancelogError {}
