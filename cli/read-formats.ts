/** The output formats of `read` (light: the registration lists them as --format choices). */
export const READ_FORMATS = ['json', 'jsonl', 'csv', 'table', 'kv'] as const;
export type ReadFormat = (typeof READ_FORMATS)[number];
