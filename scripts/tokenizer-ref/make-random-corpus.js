// Writes a seeded random corpus of short strings drawn from pools of characters tokenizers disagree about:
// whitespace variants, combining marks, CJK/Hangul/Arabic/Thai, emoji with ZWJ, skin tones and variation
// selectors, Latin-1 numbers, case-folding traps, apostrophe forms, digits, byte-level and metaspace
// lookalikes, and fragments of special tokens. Same seed, same file.
// Usage: node make-random-corpus.js SEED COUNT OUT.json
'use strict';
const fs = require('fs');
const [seed, count, out] = process.argv.slice(2);
let state = BigInt(seed) | 1n;
function next() { // xorshift64*
  state ^= state >> 12n; state ^= (state << 25n) & 0xffffffffffffffffn; state ^= state >> 27n;
  return Number(((state * 0x2545f4914f6cdd1dn) & 0xffffffffffffffffn) >> 11n) / 2 ** 53;
}
const pick = a => a[Math.floor(next() * a.length)];
const range = (a, b) => { const r = []; for (let c = a; c <= b; c++) r.push(String.fromCodePoint(c)); return r; };
const pools = [
  range(0x61, 0x7a), range(0x41, 0x5a), range(0x30, 0x39), range(0x21, 0x2f).concat(range(0x3a, 0x40), range(0x5b, 0x60), range(0x7b, 0x7e)),
  [' ', ' ', '  ', '\t', '\n', '\r\n', '\r', '\u00a0', '\u3000', '\u2028', '\u0085', '\u2009', '\u200b', '\ufeff'],
  ['\u0301', '\u0308', '\u0327', '\u0345', '\u20dd', '\u0903', '\u05c4', '\u0e31'],
  range(0x4e00, 0x4e30), range(0x3041, 0x3060), range(0xac00, 0xac20), ['\u1100', '\u1161', '\u11a8'],
  range(0x0627, 0x0640), range(0x0e01, 0x0e10), range(0x0400, 0x0450), range(0x0391, 0x03c9),
  ['\ud83d\ude00', '\ud83d\udc4d', '\ud83c\udffd', '\u200d', '\ufe0f', '\ud83c\uddeb\ud83c\uddf7', '\ud83e\udd70', '\ud83e\udee0', '\u2764'],
  ['\u00b2', '\u00bd', '\u00b9', '\u2460', '\u2167', '\u00df', '\u0130', '\u0131', '\u017f', '\u212a', '\u00e9', 'e\u0301', '\ufb01', '\uff21', '\u00aa'],
  ["'s", "'S", "'ll", "'LL", "'\u017f", "\u2019s", "'re", "'ve", "'m", "'d", "n't"],
  ['0', '12', '123', '1234', '3.14', '1,000', '\u0661\u0662', '\uff11'],
  ['\u2581', '\u2581\u2581', '\u0120', '\u010a', '<0x41>', '<0xE2>', '##', '@@', '</w>'],
  ['<s>', '</s>', '<unk>', '<pad>', '<bos>', '<eos>', '<mask>', '[CLS]', '[SEP]', '[MASK]', '<|im_start|>', '<|im_end|>',
   '<|endoftext|>', '<|begin_of_text|>', '<|eot_id|>', '<start_of_turn>', '<end_of_turn>', '<|start|>', '<x>', 'Ab', 'zz',
   'hello', 'HELLO', 'cat', 'rstrip>', '\u00e9t\u00e9', 'foo', 'hello-world', '<|', '|>', '<s', 's>'],
  ['the', ' the', 'The', 'tokenizer', ' merging', 'Hello', ' world', 'ing', 'tion', 'abc', 'ab'],
];
const texts = [];
for (let i = 0; i < Number(count); i++) {
  const n = 1 + Math.floor(next() * 14);
  let s = '';
  for (let k = 0; k < n; k++) s += pick(pick(pools));
  texts.push(s);
}
fs.writeFileSync(out, JSON.stringify(texts, null, 0).replace(/","/g, '",\n"') + '\n');
