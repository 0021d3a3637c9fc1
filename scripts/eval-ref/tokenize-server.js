// The Rust tokenizers library (npm `tokenizers`, its Node binding, installed by scripts/tokenizer-ref) as a
// line server for the lm-eval reference run: each stdin line is {"text": "...", "special": bool} (encode) or
// {"decode": [ids]}; each stdout line is {"ids": [...]} or {"text": "..."}, in order.
// Usage: node tokenize-server.js TOKENIZER.json
const path = require('path');
const readline = require('readline');
const { Tokenizer } = require(path.join(__dirname, '..', 'tokenizer-ref', 'node_modules', 'tokenizers'));

async function main() {
  const tok = Tokenizer.fromFile(process.argv[2]);
  const version = require(path.join(__dirname, '..', 'tokenizer-ref', 'node_modules', 'tokenizers', 'package.json')).version;
  process.stdout.write(JSON.stringify({ ready: true, tokenizers: version }) + '\n');
  const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const line of rl) {
    if (!line.trim()) continue;
    const req = JSON.parse(line);
    if (req.decode !== undefined) {
      const text = await tok.decode(req.decode, false);
      process.stdout.write(JSON.stringify({ text }) + '\n');
    } else {
      const enc = await tok.encode(req.text, null, { addSpecialTokens: req.special });
      process.stdout.write(JSON.stringify({ ids: enc.getIds() }) + '\n');
    }
  }
}

main().catch((e) => { console.error(e); process.exit(1); });
