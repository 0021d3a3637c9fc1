// The Rust tokenizers library (Node binding from scripts/tokenizer-ref, npm tokenizers 0.23.2) as a line server for
// convert_vocab_ref.py: loads one tokenizer.json, then answers JSON lines on stdin, {"encode": TEXT, "special": BOOL}
// with {"ids": [...]} and {"decode": [IDS]} with {"text": ...}, one line each, until stdin closes.
// Usage: node tokenizer_peer.js TOKENIZER.json
'use strict';
const fs = require('fs');
const path = require('path');
const readline = require('readline');
const { Tokenizer } = require(path.join(__dirname, '..', 'tokenizer-ref', 'node_modules', 'tokenizers'));

async function main() {
  const tok = Tokenizer.fromString(fs.readFileSync(process.argv[2], 'utf8'));
  const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const line of lines) {
    const q = JSON.parse(line);
    let answer;
    if (q.encode !== undefined) {
      const e = await tok.encode(q.encode, null, { addSpecialTokens: q.special });
      answer = { ids: e.getIds() };
    } else {
      answer = { text: await tok.decode(q.decode, false) };
    }
    process.stdout.write(JSON.stringify(answer) + '\n');
  }
}

main().catch((e) => {
  process.stderr.write(String(e && e.stack || e) + '\n');
  process.exit(1);
});
