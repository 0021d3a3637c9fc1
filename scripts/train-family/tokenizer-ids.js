// The Rust tokenizers library's ids (Node binding, pinned in scripts/tokenizer-ref/package.json) for each text file
// given, with the family's tokenizer.json: what DomainFamilyTest expects MergeLab's tokenizer to produce.
// Usage: node tokenizer-ids.js TOKENIZER.json OUT.json FILE...   (run scripts/tokenizer-ref's `npm ci` first)
'use strict';
const fs = require('fs');
const crypto = require('crypto');
const path = require('path');
const { Tokenizer } = require(path.join(__dirname, '../tokenizer-ref/node_modules/tokenizers'));

const sha256 = (b) => crypto.createHash('sha256').update(b).digest('hex');

async function main() {
  const [tokFile, outFile, ...files] = process.argv.slice(2);
  const tokBytes = fs.readFileSync(tokFile);
  const tok = Tokenizer.fromString(tokBytes.toString('utf8'));
  const out = {
    peer: `tokenizers ${require(path.join(__dirname, '../tokenizer-ref/node_modules/tokenizers/package.json')).version} (Node binding of the Rust huggingface/tokenizers library)`,
    script: 'scripts/train-family/tokenizer-ids.js',
    tokenizer_sha256: sha256(tokBytes),
    files: [],
  };
  for (const f of files) {
    const bytes = fs.readFileSync(f);
    const text = bytes.toString('utf8');
    const ids = (await tok.encode(text, null, { addSpecialTokens: true })).getIds();
    const decoded = await tok.decode(ids, false);
    if (decoded !== text) {
      throw new Error(`${f}: the library does not decode its ids back to the text`);
    }
    out.files.push({ file: f, sha256: sha256(bytes), ids });
    process.stderr.write(`${f}: ${bytes.length} bytes, ${ids.length} tokens\n`);
  }
  fs.writeFileSync(outFile, JSON.stringify(out) + '\n');
}

main().catch((e) => { console.error(e.message || e); process.exit(1); });
