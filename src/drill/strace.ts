/**
 * Reading `strace -f -y` logs of file-system calls: the power-loss drill replays a
 * killed writer's log (power-loss.ts) and the durability test audits fsyncs with it.
 */

export interface SysCall {
  pid: number;
  name: string;
  args: string;
  result: string;
}

/**
 * The calls of a log, in completion order (`<unfinished ...>` joined with its resume),
 * except `close`, which counts where it started.
 */
export function parseStrace(log: string): SysCall[] {
  const pending = new Map<number, { name: string; args: string }>();
  const calls: SysCall[] = [];
  for (const line of log.split('\n')) {
    const m = /^(\d+)\s+(.*)$/.exec(line);
    if (!m) continue;
    const pid = Number(m[1]);
    const rest = m[2];
    const resumed = /^<\.\.\. (\w+) resumed>(.*)$/.exec(rest);
    if (resumed) {
      const start = pending.get(pid);
      pending.delete(pid);
      if (!start) continue;
      const tail = /^(.*)\)\s+=\s+(.*)$/s.exec(resumed[2]);
      if (tail) calls.push({ pid, name: start.name, args: start.args + tail[1], result: tail[2] });
      continue;
    }
    const unfinished = /^(\w+)\((.*) <unfinished \.\.\.>$/s.exec(rest);
    if (unfinished) {
      // A close frees its fd number before it returns: another thread's open may get
      // that number and be logged before the close's resume line. So a close counts
      // where it started (its result is not needed), never after that open.
      if (unfinished[1] === 'close')
        calls.push({ pid, name: 'close', args: unfinished[2], result: '0' });
      else pending.set(pid, { name: unfinished[1], args: unfinished[2] });
      continue;
    }
    const done = /^(\w+)\((.*)\)\s+=\s+(.*)$/s.exec(rest);
    if (done) calls.push({ pid, name: done[1], args: done[2], result: done[3] });
  }
  return calls;
}

export const failed = (c: SysCall): boolean => c.result.startsWith('-1');

/** The path of the fd a call acts on (`27</a/b>` with strace -y), or of the fd it returned. */
export function fdPath(text: string): string | null {
  return /^-?\d+<([^>]*)>/.exec(text)?.[1] ?? null;
}

/** The fd number a call acts on (its first argument). */
export function fdNumber(args: string): number | null {
  const m = /^(\d+)</.exec(args);
  return m ? Number(m[1]) : null;
}

/** Decodes one strace string literal body (C escapes: \n, \\, \", \ooo octal, \xHH). */
export function decodeString(body: string): Buffer {
  const out: number[] = [];
  for (let i = 0; i < body.length; i++) {
    const ch = body.charCodeAt(i);
    if (body[i] !== '\\') {
      // strace prints printable ASCII as is; anything else is escaped.
      out.push(ch);
      continue;
    }
    const n = body[++i];
    const simple: Record<string, number> = {
      n: 10,
      t: 9,
      r: 13,
      v: 11,
      f: 12,
      a: 7,
      b: 8,
      '\\': 92,
      '"': 34,
    };
    if (n in simple) out.push(simple[n]);
    else if (n === 'x') {
      out.push(parseInt(body.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (/[0-7]/.test(n)) {
      let j = i;
      while (j < i + 3 && j < body.length && /[0-7]/.test(body[j])) j++;
      out.push(parseInt(body.slice(i, j), 8));
      i = j - 1;
    } else throw new Error(`unknown escape \\${n} in an strace string`);
  }
  return Buffer.from(out);
}

/** The string literals of a call's arguments, with the `AT_FDCWD</dir>` each is relative to. */
export function stringArgs(
  args: string,
): Array<{ text: string; base: string | null; raw: string }> {
  const out: Array<{ text: string; base: string | null; raw: string }> = [];
  const re = /(?:(?:AT_FDCWD|\d+)<([^>]*)>,\s*)?"((?:[^"\\]|\\.)*)"(\.\.\.)?/g;
  for (let m = re.exec(args); m; m = re.exec(args)) {
    if (m[3] !== undefined) throw new Error('strace truncated a string: raise -s');
    out.push({ text: m[2], base: m[1] ?? null, raw: m[2] });
  }
  return out;
}

/** Path arguments of a path-based call, resolved against their directory fd when relative. */
export function pathArgs(call: SysCall): string[] {
  return stringArgs(call.args).map(({ text, base }) => {
    const p = decodeString(text).toString('utf8');
    return p.startsWith('/') || base === null ? p : `${base}/${p}`;
  });
}
