/** Result values as printable data: one implementation, in the read layer (src/read/result-values.ts). */
export {
  formatValue,
  columnTypeText,
  parseTypeText,
  shortestFloat32 as shortestF32,
} from '../src/index.js';
export type { OutValue, OutObject, ColumnType } from '../src/index.js';
