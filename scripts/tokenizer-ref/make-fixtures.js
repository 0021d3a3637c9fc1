// Runs the Rust tokenizers library (Node binding, version pinned in package.json) over MergeLab's corpus and
// writes the ids and decodes it produces, for the Java tokenizer's parity tests.
// Usage: node make-fixtures.js CORPUS.json OUT.json NAME=TOKENIZER.json...
// With COMPACT=1 only ids (with special tokens) and their decode are kept.
'use strict';
const fs = require('fs');
const crypto = require('crypto');
const path = require('path');
const { Tokenizer } = require('tokenizers');

async function main() {
  const [corpusFile, outFile, ...specs] = process.argv.slice(2);
  const corpus = JSON.parse(fs.readFileSync(corpusFile, 'utf8'));
  const version = require('tokenizers/package.json').version;
  const out = {
    peer: `tokenizers ${version} (Node binding of the Rust huggingface/tokenizers library)`,
    node: process.version,
    script: 'scripts/tokenizer-ref/make-fixtures.js',
    corpus: path.basename(corpusFile),
    tokenizers: {},
  };
  for (const spec of specs) {
    const eq = spec.indexOf('=');
    const name = spec.slice(0, eq);
    const file = spec.slice(eq + 1);
    const bytes = fs.readFileSync(file);
    let tok;
    try {
      tok = Tokenizer.fromString(bytes.toString('utf8'));
    } catch (e) {
      out.tokenizers[name] = { sha256: crypto.createHash('sha256').update(bytes).digest('hex'),
        loadError: String(e.message || e).split('\n')[0] };
      process.stderr.write(`${name}: the library refuses it: ${out.tokenizers[name].loadError}\n`);
      continue;
    }
    const cases = [];
    for (const text of corpus) {
      const c = { text };
      try {
        const withSpecial = await tok.encode(text, null, { addSpecialTokens: true });
        const plain = await tok.encode(text, null, { addSpecialTokens: false });
        c.ids = withSpecial.getIds();
        c.decoded = await tok.decode(c.ids, false);
        if (!process.env.COMPACT) {
          c.idsPlain = plain.getIds();
          c.decodedSkip = await tok.decode(c.ids, true);
        }
      } catch (e) {
        c.error = String(e.message || e).split('\n')[0];
      }
      cases.push(c);
    }
    out.tokenizers[name] = {
      sha256: crypto.createHash('sha256').update(bytes).digest('hex'),
      cases,
    };
    process.stderr.write(`${name}: ${cases.length} cases\n`);
  }
  fs.writeFileSync(outFile, JSON.stringify(out, null, 0).replace(/\},\{"text"/g, '},\n{"text"') + '\n');
}

main().catch(e => { console.error(e); process.exit(1); });
