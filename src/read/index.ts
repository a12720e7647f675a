/** read/: executes compiled `.gq` read plans at a snapshot (docs/query-language.md "Executing reads"). */
export { executeRead } from './executor.js';
export { ReadCache, DEFAULT_READ_CACHE_BYTES } from './cache.js';
export { GraphIndex } from './graph-index.js';
export { buildFromStrings } from './graph-build.js';
export { GraphIndexes, type GraphSource, type GraphOrigin } from './graph-indexes.js';
export { GraphFiles, type GraphFileEntry } from './graph-store.js';
export { checkGraphFile, GraphFileInvalid } from './graph-file.js';
export { fragmentRef, sameFragments } from './graph-delta.js';
export type { FragmentRef } from './graph-index.js';
export { ReadError } from './errors.js';
export type { ReadContext, TableOverlay } from './tables.js';
export type * from './types.js';
export { diffSnapshots, tableChanges } from './diff.js';
export type { Change, ChangeOp, DiffFilter, DiffResult, DiffStats, RowDelta } from './diff.js';
export { entityHistory } from './entity-history.js';
export type { EntityVersion } from './entity-history.js';
export { formatValue, columnTypeText, parseTypeText } from './result-values.js';
export type { OutValue, OutObject, ColumnType } from './result-values.js';
