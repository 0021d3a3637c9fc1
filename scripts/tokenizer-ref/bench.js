// Tokens per second of the Rust tokenizers library (Node binding) on JSONL chunks, one encode at a time.
// Usage: UV_THREADPOOL_SIZE=1 RAYON_NUM_THREADS=1 node bench.js CHUNKS.jsonl TOKENIZER.json ROUNDS
'use strict';
const fs = require('fs');
const { Tokenizer } = require('tokenizers');

async function main() {
  const [chunksFile, tokFile, rounds] = process.argv.slice(2);
  const chunks = fs.readFileSync(chunksFile, 'utf8').split('\n').filter(l => l).map(l => JSON.parse(l).text);
  const t0 = process.hrtime.bigint();
  const tok = Tokenizer.fromFile(tokFile);
  const loadMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const times = [];
  const cpus = [];
  let tokens = 0;
  for (let r = 0; r < Number(rounds); r++) {
    tokens = 0;
    const s = process.hrtime.bigint();
    const c = process.cpuUsage();
    for (const c of chunks) {
      const e = await tok.encode(c, null, { addSpecialTokens: true });
      tokens += e.getIds().length;
    }
    times.push(Number(process.hrtime.bigint() - s) / 1e9);
    const d = process.cpuUsage(c);
    cpus.push((d.user + d.system) / 1e6);
  }
  // The same chunks as one encodeBatch call (Rust-side loop, no per-call JavaScript; RAYON_NUM_THREADS=1).
  const batchCpus = [];
  let batchTokens = 0;
  for (let r = 0; r < Number(rounds); r++) {
    const c = process.cpuUsage();
    const encs = await tok.encodeBatch(chunks, { addSpecialTokens: true });
    const d = process.cpuUsage(c);
    batchCpus.push((d.user + d.system) / 1e6);
    batchTokens = encs.reduce((n, e) => n + e.getIds().length, 0);
  }
  console.log(JSON.stringify({ peer: 'tokenizers ' + require('tokenizers/package.json').version, tokens, loadMs,
    seconds: times, processCpuSeconds: cpus, batchTokens, batchProcessCpuSeconds: batchCpus }));
}
main().catch(e => { console.error(e); process.exit(1); });
