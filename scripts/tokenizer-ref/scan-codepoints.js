// Runs every Unicode scalar value through the Rust library's character-level components and writes what
// each does, as ranges, for the Java tokenizer's code-point parity test: normalizers (NFC, NFD, NFKC, NFKD,
// Lowercase, StripAccents, BertNormalizer's clean_text, its Chinese-character spacing, its accent stripping),
// Oniguruma classes used by real pre-tokenizer regexes (\s \w \d \p{L} \p{N} \p{P} \p{S} \p{M}), and the
// Whitespace pre-tokenizer's word class (Rust's regex crate).
// Hangul syllables are left out of the decomposing normalizers (their decomposition is a formula).
// Usage: node scan-codepoints.js OUT.json.gz
'use strict';
const fs = require('fs');
const T = require('tokenizers');
const { Tokenizer } = T;

const cps = [];
for (let c = 0; c <= 0x10ffff; c++) if (c < 0xd800 || c > 0xdfff) cps.push(c);

function ranges(values) { // values[i] for cps[i]; consecutive cps with equal values form one range
  const out = [];
  for (let i = 0; i < cps.length; i++) {
    const v = values[i];
    if (v === null) continue;
    const last = out[out.length - 1];
    if (last && last[1] === cps[i] - 1 && last[2] === v) last[1] = cps[i];
    else out.push([cps[i], cps[i], v]);
  }
  return out;
}

const result = { peer: `tokenizers ${require('tokenizers/package.json').version}`, normalizers: {}, classes: {} };
const normalizers = {
  NFC: T.nfcNormalizer(), NFD: T.nfdNormalizer(), NFKC: T.nfkcNormalizer(), NFKD: T.nfkdNormalizer(),
  Lowercase: T.lowercase(), StripAccents: T.stripAccentsNormalizer(),
  BertClean: T.bertNormalizer({ cleanText: true, handleChineseChars: false, stripAccents: false, lowercase: false }),
  BertStripAccents: T.bertNormalizer({ cleanText: false, handleChineseChars: false, stripAccents: true, lowercase: false }),
};
const hangul = c => c >= 0xac00 && c <= 0xd7a3; // decomposed by formula, left out to keep the file small
for (const [name, n] of Object.entries(normalizers)) {
  // Only changed characters are kept: null means "itself".
  const vals = cps.map(c => {
    if (hangul(c) && name !== 'Lowercase' && name !== 'StripAccents' && name !== 'BertClean') return null;
    const s = String.fromCodePoint(c); const r = n.normalizeString(s); return r === s ? null : r;
  });
  result.normalizers[name] = ranges(vals);
  process.stderr.write(`${name}: ${result.normalizers[name].length} ranges\n`);
}
const all = cps.map(c => String.fromCodePoint(c)).join('');
for (const cls of ['\\s', '\\w', '\\d', '\\p{L}', '\\p{N}', '\\p{P}', '\\p{S}', '\\p{M}']) {
  const tok = Tokenizer.fromString(JSON.stringify({ version: '1.0', truncation: null, padding: null, added_tokens: [],
    normalizer: null, pre_tokenizer: { type: 'Split', pattern: { Regex: cls }, behavior: 'Removed', invert: false },
    post_processor: null, decoder: null, model: { type: 'WordLevel', vocab: { u: 0 }, unk_token: 'u' } }));
  const kept = new Set();
  for (const [piece] of tok.getPreTokenizer().preTokenizeString(all)) for (const ch of piece) kept.add(ch.codePointAt(0));
  result.classes[cls] = ranges(cps.map(c => (kept.has(c) ? null : 1))).map(r => [r[0], r[1]]);
  process.stderr.write(`${cls}: ${result.classes[cls].length} ranges\n`);
}
const chinese = T.bertNormalizer({ cleanText: false, handleChineseChars: true, stripAccents: false, lowercase: false });
result.classes['BertChinese'] = ranges(cps.map(c => {
  const s = String.fromCodePoint(c);
  return chinese.normalizeString(s) === ' ' + s + ' ' ? 1 : null;
})).map(r => [r[0], r[1]]);
const ws = T.whitespacePreTokenizer();
result.classes['regex-crate \\w'] = ranges(cps.map(c => {
  const pieces = ws.preTokenizeString('a' + String.fromCodePoint(c) + 'a');
  return pieces.length === 1 ? 1 : null;
})).map(r => [r[0], r[1]]);
fs.writeFileSync(process.argv[2], require('zlib').gzipSync(JSON.stringify(result) + '\n', { level: 9 }));
