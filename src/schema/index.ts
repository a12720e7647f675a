/** The `.pg` schema compiler: source text → typed Catalog (no I/O). */
export { compileSchema, typeText } from './compile.js';
export { parseSchema } from './parser.js';
export { arrowSchemaFor, arrowTypeFor } from './arrow.js';
export { catalogToJSON } from './catalog-json.js';
export { schemaFingerprint } from './fingerprint.js';
export { fnv1a64Hex } from './fnv.js';
export {
  edgeTypeNamed,
  findEdgeType,
  findNodeType,
  findNodeTypeIgnoringCase,
  findType,
  nodeTypeNamed,
  typeIndex,
} from './lookup.js';
export type { TypeIndex } from './lookup.js';
export type * from './types.js';
export { planSchemaChange, defaultOf } from './plan.js';
export type { PlanStep, SchemaPlan, StepKind, StepSafety } from './plan.js';
