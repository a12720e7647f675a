/** Vector helpers shared by the providers. */

/**
 * `values` scaled to unit L2 norm (a new array). Returns null when the vector has no
 * direction (zero norm) or a component that is not finite: such a vector cannot be
 * compared by cosine, so providers report it as a failure instead of storing it.
 */
export function l2Normalised(values: ArrayLike<number>): Float32Array | null {
  let sum = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) return null;
    sum += v * v;
  }
  const norm = Math.sqrt(sum);
  if (!(norm > 0)) return null;
  const out = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = values[i] / norm;
  return out;
}
