/**
 * Text search evaluated in memory over a column of a pinned table version
 * (docs/query-language.md "Search and ranking"). The tokenizer follows the inverted
 * index's exactly (storage FTS_TOKENIZER): split on every character that is not a
 * letter or digit, drop tokens over 40 bytes, lowercase, fold accents to ASCII. So a
 * filter answers the same whether the rows are indexed yet or not, and inside a
 * transaction (staged rows are never indexed).
 */

const MAX_TOKEN_BYTES = 40;

/** The tokens of `text`, in order. */
export function tokenize(text: string): string[] {
  const out: string[] = [];
  for (const raw of text.split(/[^\p{L}\p{N}]+/u)) {
    if (raw === '' || Buffer.byteLength(raw) > MAX_TOKEN_BYTES) continue;
    out.push(
      raw
        .toLowerCase()
        .normalize('NFKD')
        .replace(/\p{M}+/gu, ''),
    );
  }
  return out;
}

/** Levenshtein distance, abandoned (max + 1) once it exceeds `max`. */
export function editDistance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const v = Math.min(
        prev[j] + 1,
        cur[j - 1] + 1,
        prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
      cur.push(v);
      if (v < rowMin) rowMin = v;
    }
    if (rowMin > max) return max + 1;
    prev = cur;
  }
  return prev[b.length];
}

export type TextMatcher = (text: string | null) => boolean;

/** `search`: the text has at least one of the query's tokens. */
export function searchMatcher(query: string): TextMatcher {
  const wanted = new Set(tokenize(query));
  return (text) => text !== null && tokenize(text).some((t) => wanted.has(t));
}

/** `fuzzy`: some token of the text is within `maxEdits` edits of some query token. */
export function fuzzyMatcher(query: string, maxEdits: number): TextMatcher {
  const wanted = [...new Set(tokenize(query))];
  return (text) => {
    if (text === null) return false;
    for (const t of new Set(tokenize(text)))
      for (const w of wanted) if (editDistance(t, w, maxEdits) <= maxEdits) return true;
    return false;
  };
}

/** `match_text`: the query's tokens appear adjacent and in order (a phrase). */
export function phraseMatcher(query: string): TextMatcher {
  const phrase = tokenize(query);
  return (text) => {
    if (text === null || phrase.length === 0) return false;
    const tokens = tokenize(text);
    outer: for (let i = 0; i + phrase.length <= tokens.length; i++) {
      for (let j = 0; j < phrase.length; j++) if (tokens[i + j] !== phrase[j]) continue outer;
      return true;
    }
    return false;
  };
}

/** BM25 parameters (Lance's and the usual defaults). */
const K1 = 1.2;
const B = 0.75;

/**
 * BM25 scores of `query` over `docs` (the corpus is `docs` itself): per document the
 * sum over distinct query tokens of idf · tf·(k1+1) / (tf + k1·(1 − b + b·len/avglen)),
 * idf = ln(1 + (N − n + 0.5)/(n + 0.5)). Null for a document with none of the tokens.
 */
export function bm25Scores(docs: ReadonlyArray<string | null>, query: string): (number | null)[] {
  const wanted = [...new Set(tokenize(query))];
  const tokenized = docs.map((d) => (d === null ? null : tokenize(d)));
  const n = tokenized.length;
  let totalLen = 0;
  const docFreq = new Map<string, number>(wanted.map((w) => [w, 0]));
  const termFreqs = tokenized.map((tokens) => {
    if (tokens === null) return null;
    totalLen += tokens.length;
    const tf = new Map<string, number>();
    for (const t of tokens) if (docFreq.has(t)) tf.set(t, (tf.get(t) ?? 0) + 1);
    for (const t of tf.keys()) docFreq.set(t, docFreq.get(t)! + 1);
    return tf;
  });
  const avgLen = n === 0 ? 0 : totalLen / n;
  return termFreqs.map((tf, i) => {
    if (tf === null || tf.size === 0) return null;
    const len = tokenized[i]!.length;
    let score = 0;
    for (const [t, f] of tf) {
      const df = docFreq.get(t)!;
      const idf = Math.log(1 + (n - df + 0.5) / (df + 0.5));
      score += (idf * f * (K1 + 1)) / (f + K1 * (1 - B + (B * len) / (avgLen || 1)));
    }
    return score;
  });
}
