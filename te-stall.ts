import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Repo } from './src/index.js';
import { startServer } from './src/server/index.js';
const PG = 'node Person {\n  name: String @key\n  phone: String?\n  big: I64?\n}\n';
const dir = join(mkdtempSync(join(tmpdir(), 'te-stall-')), 'repo');
await Repo.init(dir, { schemaSource: PG, schemaFile: 'b.pg' });
const srv = await startServer({ repo: dir, port: 0, handleSignals: false, refreshMs: 0, env: {}, logger: false });
const lines: string[] = [];
for (let i = 0, size = 0; size < Number(process.argv[2] ?? 6e6); i++) { const l = `{"type":"Person","data":{"name":"p${i}","phone":"+1 ${4155550000000000 + i}","big":${9007199254740993n + BigInt(i)}}}`; lines.push(l); size += l.length + 20; }
const data = lines.join('\n') + '\n';
// stall timeline: a 5 ms ticker records gaps
let last = performance.now(); const gaps: Array<[number, number]> = []; const t0 = last;
const tick = setInterval(() => { const now = performance.now(); if (now - last > 100) gaps.push([Math.round(last - t0), Math.round(now - last)]); last = now; }, 5);
const res = await fetch(`${srv.url}/ingest`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ data, branch: 'b1', mode: 'append' }) });
console.log(res.status, (await res.text()).slice(0, 100));
clearInterval(tick);
console.log('total', Math.round(performance.now() - t0), 'gaps >100ms [at, ms]:', JSON.stringify(gaps));
await srv.close();
