/** Errors of read execution (docs/query-language.md "Read errors"). */
import { LancelogError } from '../errors.js';

/**
 * `UnsupportedQueryFeature`: the query uses a construct the executor does not run
 * yet (text search and ranking: search, fuzzy, match_text, nearest, bm25, rrf).
 * Raised before any table is read; never a partial or wrong answer.
 */
export class ReadError extends LancelogError {}
