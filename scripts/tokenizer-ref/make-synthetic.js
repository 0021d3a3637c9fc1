// Writes small synthetic tokenizer.json files that exercise every component MergeLab's tokenizer reads
// (WordPiece, Unigram, WordLevel, BPE variants, each normalizer, pre-tokenizer, post-processor and decoder,
// added-token options, truncation and padding). Vocabularies are learned from the corpus by a tiny
// deterministic BPE trainer here, so the files stay small; the expected ids come from the Rust library
// (make-fixtures.js), not from this script.
// Usage: node make-synthetic.js CORPUS.json OUT_DIR
'use strict';
const fs = require('fs');
const path = require('path');

const [corpusFile, outDir] = process.argv.slice(2);
const corpus = JSON.parse(fs.readFileSync(corpusFile, 'utf8'));
const EXTRA = `The tokenizer splits text into pieces. Pieces become tokens, tokens become ids. Hello world!
Models read ids; people read text. Numbers like 2024 and 3.14 appear, as do names: Alice, Bob and Carol.
Merging models is cheap when they share a base; the tokenizer must match too. Hello hello HELLO.`;
const TEXT = corpus.join('\n') + '\n' + EXTRA;

// ---- a tiny BPE trainer: words are arrays of symbols; combine(a, b) names the merged token ----
function trainBpe(words, nMerges, combine) {
  const counts = new Map();
  for (const w of words) counts.set(w.join('\u0001'), (counts.get(w.join('\u0001')) || 0) + 1);
  let ws = [...counts.entries()].map(([k, n]) => ({ s: k.split('\u0001'), n }));
  const alphabet = new Set();
  for (const w of ws) for (const s of w.s) alphabet.add(s);
  const vocab = [...alphabet].sort();
  const merges = [];
  for (let m = 0; m < nMerges; m++) {
    const pc = new Map();
    for (const w of ws) for (let i = 0; i + 1 < w.s.length; i++) {
      const k = w.s[i] + '\u0001' + w.s[i + 1];
      pc.set(k, (pc.get(k) || 0) + w.n);
    }
    let best = null, bestN = 1;
    for (const [k, n] of pc) if (n > bestN || (n === bestN && best !== null && k < best)) { best = k; bestN = n; }
    if (best === null) break;
    const [a, b] = best.split('\u0001');
    const t = combine(a, b);
    merges.push([a, b]);
    if (!vocab.includes(t)) vocab.push(t);
    for (const w of ws) {
      const out = [];
      for (let i = 0; i < w.s.length; i++) {
        if (i + 1 < w.s.length && w.s[i] === a && w.s[i + 1] === b) { out.push(t); i++; } else out.push(w.s[i]);
      }
      w.s = out;
    }
  }
  return { vocab, merges };
}

const BYTES = [];
for (let b = 0; b < 256; b++) {
  const printable = (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  BYTES.push(printable ? b : -1);
}
const byteChar = (() => { const m = []; let n = 0; for (let b = 0; b < 256; b++) m[b] = String.fromCharCode(BYTES[b] >= 0 ? b : 256 + n++); return m; })();
const toByteLevel = s => [...Buffer.from(s, 'utf8')].map(b => byteChar[b]).join('');
const chars = s => [...s];
const gpt2 = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;
const wordsOf = s => s.split(/\s+/u).filter(w => w.length > 0);
const vocabObj = (tokens, start = 0) => { const v = {}; tokens.forEach((t, i) => { if (!(t in v)) v[t] = start + i; }); return v; };
const hex = b => '<0x' + b.toString(16).toUpperCase().padStart(2, '0') + '>';
const added = (id, content, o = {}) => ({ id, content, single_word: !!o.single_word, lstrip: !!o.lstrip,
  rstrip: !!o.rstrip, normalized: o.normalized !== undefined ? o.normalized : !o.special, special: !!o.special });
const base = o => Object.assign({ version: '1.0', truncation: null, padding: null, added_tokens: [], normalizer: null,
  pre_tokenizer: null, post_processor: null, decoder: null }, o);
const template = (single, specials) => ({ type: 'TemplateProcessing', single,
  pair: single.concat([{ Sequence: { id: 'B', type_id: 1 } }]), special_tokens: specials });
const files = {};

// 1. BERT: BertNormalizer (lowercase, accents), BertPreTokenizer, WordPiece, BertProcessing, WordPiece decoder.
{
  const norm = TEXT.toLowerCase().normalize('NFD').replace(/\p{Mn}/gu, '');
  const words = wordsOf(norm.replace(/(\p{P})/gu, ' $1 '));
  const { vocab } = trainBpe(words.map(w => chars(w).map((c, i) => (i ? '##' + c : c))), 300,
    (a, b) => a + b.replace(/^##/, ''));
  const specials = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'];
  const all = specials.concat(vocab.filter(t => !specials.includes(t)));
  files['bert-wordpiece'] = base({
    added_tokens: [added(0, '[PAD]', { special: true }), added(1, '[UNK]', { special: true }),
      added(2, '[CLS]', { special: true }), added(3, '[SEP]', { special: true }),
      added(4, '[MASK]', { special: true, lstrip: true }), added(all.length, 'foo', { single_word: true }),
      added(all.length + 1, 'hello-world', { normalized: true })],
    normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    model: { type: 'WordPiece', unk_token: '[UNK]', continuing_subword_prefix: '##', max_input_chars_per_word: 100, vocab: vocabObj(all) },
    post_processor: { type: 'BertProcessing', sep: ['[SEP]', 3], cls: ['[CLS]', 2] },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
  });
}

// 2. Cased WordPiece: Bert normalizer without lowercase, WhitespaceSplit + Punctuation(Contiguous) + Digits(individual),
//    '@@' prefix, short max word, TemplateProcessing, WordPiece decoder without cleanup.
{
  const words = wordsOf(TEXT.replace(/(\p{P}+|\p{N})/gu, ' $1 '));
  const { vocab } = trainBpe(words.map(w => chars(w).map((c, i) => (i ? '@@' + c : c))), 250,
    (a, b) => a + b.replace(/^@@/, ''));
  const all = ['[UNK]', '[CLS]', '[SEP]'].concat(vocab);
  files['wordpiece-cased'] = base({
    added_tokens: [added(0, '[UNK]', { special: true }), added(1, '[CLS]', { special: true }), added(2, '[SEP]', { special: true })],
    normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: false, strip_accents: false, lowercase: false },
    pre_tokenizer: { type: 'Sequence', pretokenizers: [{ type: 'WhitespaceSplit' },
      { type: 'Punctuation', behavior: 'Contiguous' }, { type: 'Digits', individual_digits: true }] },
    model: { type: 'WordPiece', unk_token: '[UNK]', continuing_subword_prefix: '@@', max_input_chars_per_word: 12, vocab: vocabObj(all) },
    post_processor: template([{ SpecialToken: { id: '[CLS]', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } },
      { SpecialToken: { id: '[SEP]', type_id: 0 } }],
      { '[CLS]': { id: '[CLS]', ids: [1], tokens: ['[CLS]'] }, '[SEP]': { id: '[SEP]', ids: [2], tokens: ['[SEP]'] } }),
    decoder: { type: 'WordPiece', prefix: '@@', cleanup: false },
  });
}

// 3. WordLevel: NFD + StripAccents + Lowercase + Strip, Whitespace + Digits, RobertaProcessing, no decoder.
{
  const norm = TEXT.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
  const words = [...new Set(norm.match(/[\p{L}\p{M}\p{N}\p{Pc}]+|[^\p{L}\p{M}\p{N}\p{Pc}\s]+/gu))].sort();
  const kept = words.filter((_, i) => i % 3 !== 0);
  const all = ['<s>', '<pad>', '</s>', '<unk>'].concat(kept);
  files['wordlevel-roberta'] = base({
    added_tokens: [added(0, '<s>', { special: true }), added(1, '<pad>', { special: true }),
      added(2, '</s>', { special: true }), added(3, '<unk>', { special: true })],
    normalizer: { type: 'Sequence', normalizers: [{ type: 'NFD' }, { type: 'StripAccents' }, { type: 'Lowercase' },
      { type: 'Strip', strip_left: true, strip_right: true }] },
    pre_tokenizer: { type: 'Sequence', pretokenizers: [{ type: 'Whitespace' }, { type: 'Digits', individual_digits: false }] },
    model: { type: 'WordLevel', unk_token: '<unk>', vocab: vocabObj(all) },
    post_processor: { type: 'RobertaProcessing', sep: ['</s>', 2], cls: ['<s>', 0], trim_offsets: true, add_prefix_space: true },
    decoder: null,
  });
}

// Unigram pieces: every character (with and without the metaspace) plus frequent substrings, scored by log frequency.
function unigramVocab(text, extra) {
  const counts = new Map();
  const words = wordsOf(text).map(w => '\u2581' + w);
  for (const w of words) {
    const cs = chars(w);
    for (let i = 0; i < cs.length; i++) for (let l = 1; l <= 5 && i + l <= cs.length; l++) {
      const s = cs.slice(i, i + l).join('');
      counts.set(s, (counts.get(s) || 0) + 1);
    }
  }
  const items = [...counts.entries()].filter(([s, n]) => n >= 3 || [...s].length === 1)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  const total = items.reduce((t, [, n]) => t + n, 0);
  return extra.concat(items.map(([s, n]) => [s, Math.log(n / total) - 0.1 * [...s].length]));
}

// 4. Unigram + Metaspace(first, split) + byte fallback; decoder ByteFallback + Metaspace; template with <s>.
{
  const bytes = [];
  for (let b = 0; b < 256; b++) bytes.push([hex(b), 0.0]);
  const pieces = unigramVocab(TEXT.normalize('NFKC').replace(/[\u{10000}-\u{10FFFF}]/gu, ''),
    [['<unk>', 0.0], ['<s>', 0.0], ['</s>', 0.0]].concat(bytes));
  files['unigram-first'] = base({
    added_tokens: [added(0, '<unk>', { special: true }), added(1, '<s>', { special: true }), added(2, '</s>', { special: true })],
    normalizer: { type: 'NFKC' },
    pre_tokenizer: { type: 'Metaspace', replacement: '\u2581', prepend_scheme: 'first', split: true },
    model: { type: 'Unigram', unk_id: 0, vocab: pieces, byte_fallback: true },
    post_processor: template([{ SpecialToken: { id: '<s>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
      { '<s>': { id: '<s>', ids: [1], tokens: ['<s>'] } }),
    decoder: { type: 'Sequence', decoders: [{ type: 'ByteFallback' },
      { type: 'Metaspace', replacement: '\u2581', prepend_scheme: 'first', split: true }] },
  });
}

// 5. Unigram + NFD + Replace(regex) + Metaspace(always, no split), no byte fallback; Metaspace decoder.
{
  const pieces = unigramVocab(TEXT.normalize('NFD'), [['<unk>', 0.0]]);
  files['unigram-always'] = base({
    added_tokens: [added(0, '<unk>', { special: true })],
    normalizer: { type: 'Sequence', normalizers: [{ type: 'NFD' },
      { type: 'Replace', pattern: { Regex: ' {2,}' }, content: ' ' }] },
    pre_tokenizer: { type: 'Metaspace', replacement: '\u2581', prepend_scheme: 'always', split: false },
    model: { type: 'Unigram', unk_id: 0, vocab: pieces, byte_fallback: false },
    decoder: { type: 'Metaspace', replacement: '\u2581', prepend_scheme: 'always', split: false },
  });
  // 6. The same pieces, Metaspace(never) after WhitespaceSplit, and the old add_prefix_space field forms.
  files['unigram-never'] = base({
    added_tokens: [added(0, '<unk>', { special: true })],
    normalizer: { type: 'Lowercase' },
    pre_tokenizer: { type: 'Sequence', pretokenizers: [{ type: 'WhitespaceSplit' },
      { type: 'Metaspace', replacement: '\u2581', prepend_scheme: 'never', split: true }] },
    model: { type: 'Unigram', unk_id: 0, vocab: pieces, byte_fallback: false },
    decoder: { type: 'Metaspace', replacement: '\u2581', prepend_scheme: 'never', split: true },
  });
  files['metaspace-legacy-true-first'] = base({
    added_tokens: [added(0, '<unk>', { special: true })],
    pre_tokenizer: { type: 'Sequence', pretokenizers: [{ type: 'WhitespaceSplit' },
      { type: 'Metaspace', replacement: '\u2581', add_prefix_space: true, prepend_scheme: 'first' }] },
    model: { type: 'Unigram', unk_id: 0, vocab: pieces, byte_fallback: false },
    decoder: { type: 'Metaspace', replacement: '\u2581', add_prefix_space: true, prepend_scheme: 'first' },
  });
  files['metaspace-legacy-false-never'] = base({
    added_tokens: [added(0, '<unk>', { special: true })],
    pre_tokenizer: { type: 'Metaspace', replacement: '\u2581', add_prefix_space: false, prepend_scheme: 'never' },
    model: { type: 'Unigram', unk_id: 0, vocab: pieces, byte_fallback: false },
    decoder: { type: 'Metaspace', replacement: '\u2581', add_prefix_space: false, prepend_scheme: 'never' },
  });
  // The library refuses this one (add_prefix_space false contradicts the scheme): so must we.
  files['metaspace-legacy-false'] = base({
    added_tokens: [added(0, '<unk>', { special: true })],
    pre_tokenizer: { type: 'Metaspace', replacement: '\u2581', add_prefix_space: false, prepend_scheme: 'always' },
    model: { type: 'Unigram', unk_id: 0, vocab: pieces, byte_fallback: false },
    decoder: { type: 'Metaspace', replacement: '\u2581', add_prefix_space: false, prepend_scheme: 'always' },
  });
}

// 7. BPE with continuing_subword_prefix and end_of_word_suffix, merges as pairs, unknown chars not fused;
//    NFKD + Lowercase; Split(String, Removed) then Split(Regex \p{P}, Isolated); BPEDecoder.
{
  const norm = TEXT.normalize('NFKD').toLowerCase();
  const words = norm.split(' ').flatMap(w => w.split(/(\p{P})/u)).filter(w => w.length);
  const sym = w => chars(w).map((c, i, a) => (i ? '##' : '') + c + (i === a.length - 1 ? '</w>' : ''));
  const { vocab, merges } = trainBpe(words.filter((_, i) => i % 2 === 0).map(sym), 400, (a, b) => a + b.slice(2));
  const all = ['[UNK]'].concat(vocab);
  files['bpe-prefix-suffix'] = base({
    normalizer: { type: 'Sequence', normalizers: [{ type: 'NFKD' }, { type: 'Lowercase' }] },
    pre_tokenizer: { type: 'Sequence', pretokenizers: [
      { type: 'Split', pattern: { String: ' ' }, behavior: 'Removed', invert: false },
      { type: 'Split', pattern: { Regex: '\\p{P}' }, behavior: 'Isolated', invert: false }] },
    model: { type: 'BPE', dropout: null, unk_token: '[UNK]', continuing_subword_prefix: '##', end_of_word_suffix: '</w>',
      fuse_unk: false, byte_fallback: false, ignore_merges: false, vocab: vocabObj(all), merges },
    decoder: { type: 'BPEDecoder', suffix: '</w>' },
  });
}

// 8. GPT-2 style byte-level BPE (ByteLevel pre-tokenizer with its own regex and prefix space), Lowercase,
//    legacy "a b" merges, added tokens with lstrip / rstrip / single_word / normalized.
let byteLevelBpe;
{
  const words = [];
  for (const m of TEXT.toLowerCase().matchAll(gpt2)) words.push(chars(toByteLevel(m[0])));
  const alphabet = byteChar.slice();
  byteLevelBpe = trainBpe(words, 500, (a, b) => a + b);
  const tokens = alphabet.concat(byteLevelBpe.vocab.filter(t => !alphabet.includes(t)));
  const v = vocabObj(tokens);
  const n = tokens.length;
  files['bpe-bytelevel'] = base({
    added_tokens: [added(n, '<|endoftext|>', { special: true }), added(n + 1, '<mask>', { special: true, lstrip: true }),
      added(n + 2, 'hello', { normalized: true }), added(n + 3, 'rstrip>', { rstrip: true, normalized: false }),
      added(n + 4, 'cat', { single_word: true, normalized: false }), added(n + 5, '\u00e9t\u00e9', { normalized: true })],
    normalizer: { type: 'Lowercase' },
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: { type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null,
      fuse_unk: false, byte_fallback: false, vocab: v, merges: byteLevelBpe.merges.map(([a, b]) => a + ' ' + b) },
    post_processor: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: false, use_regex: true },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
  });
  // 9. The same vocabulary with ignore_merges, whole-word entries no merge reaches, Sequence post-processor
  //    (ByteLevel then a template), truncation on the left and fixed padding.
  const extra = ['Ġtokenizer', 'Ġmerging', 'Hello'].filter(t => !(t in v));
  const v2 = Object.assign({}, v);
  extra.forEach((t, i) => { v2[t] = n + i; });
  const m = n + extra.length;
  files['bpe-ignore-merges'] = base({
    truncation: { direction: 'Left', max_length: 24, strategy: 'LongestFirst', stride: 0 },
    padding: { strategy: { Fixed: 28 }, direction: 'Right', pad_to_multiple_of: null, pad_id: m + 2, pad_type_id: 0, pad_token: '<pad>' },
    added_tokens: [added(m, '<bos>', { special: true }), added(m + 1, '<eos>', { special: true }), added(m + 2, '<pad>', { special: true })],
    pre_tokenizer: { type: 'Sequence', pretokenizers: [
      { type: 'Split', pattern: { Regex: "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+" }, behavior: 'Isolated', invert: false },
      { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: false }] },
    model: { type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null,
      fuse_unk: false, byte_fallback: false, ignore_merges: true, vocab: v2, merges: byteLevelBpe.merges },
    post_processor: { type: 'Sequence', processors: [
      { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false },
      template([{ SpecialToken: { id: '<bos>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: '<eos>', type_id: 0 } }],
        { '<bos>': { id: '<bos>', ids: [m], tokens: ['<bos>'] }, '<eos>': { id: '<eos>', ids: [m + 1], tokens: ['<eos>'] } })] },
    decoder: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false },
  });
}

// 10. SentencePiece-style BPE (legacy Llama): Prepend + Replace normalizers, byte_fallback with only some byte
//     tokens (so unknown characters also appear), fuse_unk; Replace/ByteFallback/Fuse/Strip decoders.
{
  const norm = TEXT.split('\n').map(l => ('\u2581' + l.replace(/ /g, '\u2581')));
  const { vocab, merges } = trainBpe(norm.map(chars).map(cs => cs.filter(c => c.codePointAt(0) < 0x3000)), 500, (a, b) => a + b);
  const bytes = [];
  for (let b = 0; b < 256; b++) if (b < 0x80 || (b >= 0xE0 && b < 0xF0) || (b >= 0x80 && b < 0xA0)) bytes.push(hex(b));
  const all = ['<unk>', '<s>', '</s>'].concat(bytes, vocab.filter(t => !bytes.includes(t)));
  files['bpe-sentencepiece'] = base({
    added_tokens: [added(0, '<unk>', { special: true }), added(1, '<s>', { special: true }), added(2, '</s>', { special: true })],
    normalizer: { type: 'Sequence', normalizers: [{ type: 'Prepend', prepend: '\u2581' },
      { type: 'Replace', pattern: { String: ' ' }, content: '\u2581' }] },
    model: { type: 'BPE', dropout: null, unk_token: '<unk>', continuing_subword_prefix: null, end_of_word_suffix: null,
      fuse_unk: true, byte_fallback: true, vocab: vocabObj(all), merges: merges.map(([a, b]) => a + ' ' + b) },
    post_processor: template([{ SpecialToken: { id: '<s>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
      { '<s>': { id: '<s>', ids: [1], tokens: ['<s>'] } }),
    decoder: { type: 'Sequence', decoders: [{ type: 'Replace', pattern: { String: '\u2581' }, content: ' ' },
      { type: 'ByteFallback' }, { type: 'Fuse' }, { type: 'Strip', content: ' ', start: 1, stop: 0 }] },
  });
}

// 11-16. One raw-text BPE (merges cross spaces and punctuation), pre-tokenized by each Split behaviour, with
//        regexes using \s \w \d classes, inverted patterns, and the other character-class pre-tokenizers.
{
  const { vocab, merges } = trainBpe(TEXT.split('\n').map(chars), 400, (a, b) => a + b);
  const all = ['<unk>'].concat(vocab);
  const bpe = { type: 'BPE', dropout: null, unk_token: '<unk>', continuing_subword_prefix: null, end_of_word_suffix: null,
    fuse_unk: true, byte_fallback: false, vocab: vocabObj(all), merges };
  const split = (name, pattern, behavior, invert, normalizer = null) => {
    files[name] = base({ added_tokens: [added(0, '<unk>', { special: true })], normalizer,
      pre_tokenizer: { type: 'Split', pattern, behavior, invert }, model: bpe, decoder: { type: 'Fuse' } });
  };
  split('split-removed', { String: ' ' }, 'Removed', false);
  split('split-isolated', { Regex: '\\s+' }, 'Isolated', false);
  split('split-merged-previous', { Regex: '[,.!?]' }, 'MergedWithPrevious', false);
  split('split-merged-next', { Regex: '\\p{Lu}' }, 'MergedWithNext', false, { type: 'NFC' });
  split('split-contiguous', { Regex: '\\d' }, 'Contiguous', false, { type: 'NFKC' });
  split('split-invert-word', { Regex: '\\w+' }, 'Removed', true);
  split('split-hex-digit', { Regex: '\\h+|\\S' }, 'Isolated', false);
  files['whitespace-chardelim'] = base({ added_tokens: [added(0, '<unk>', { special: true })],
    pre_tokenizer: { type: 'Sequence', pretokenizers: [{ type: 'CharDelimiterSplit', delimiter: 'e' }, { type: 'Whitespace' }] },
    model: bpe, decoder: { type: 'Fuse' } });
  files['punctuation-isolated'] = base({ added_tokens: [added(0, '<unk>', { special: true })],
    normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: true, lowercase: false },
    pre_tokenizer: { type: 'Sequence', pretokenizers: [{ type: 'Punctuation' }, { type: 'Digits', individual_digits: false }] },
    model: bpe, decoder: null });
}

// 17. Added-token ids as the library assigns them: ids in the file that disagree, a duplicate, an entry already in
//     the vocabulary, an empty content, and a special token that is also normalized.
{
  const vocab = ['a', 'b', 'c', 'ab', 'abc', ' ', '<unk>'];
  files['added-token-ids'] = base({
    added_tokens: [added(50, '<x>', { special: true }), added(3, 'abc', { special: false }),
      added(51, '<y>', { special: true }), added(52, '<x>', { special: true }), added(53, '', { special: true }),
      added(54, 'Ab', { special: true, normalized: true }), added(55, 'zz', { rstrip: true, lstrip: true })],
    normalizer: { type: 'Lowercase' },
    model: { type: 'BPE', dropout: null, unk_token: '<unk>', continuing_subword_prefix: null, end_of_word_suffix: null,
      fuse_unk: false, byte_fallback: false, vocab: vocabObj(vocab), merges: [['a', 'b'], ['ab', 'c']] },
    decoder: null,
  });
}

// 18. Odds and ends: normalized added tokens under Prepend/Replace normalizers, ByteLevel without its regex but
//     with the prefix space, a template whose special token has two ids, left padding to a multiple,
//     Replace decoder with a regex, Strip decoder cutting two leading spaces. (A Strip decoder with stop > 0
//     crashes the library on an empty token: strip.rs indexes len - 1; so stop stays 0 here.)
{
  const words = [];
  for (const m of TEXT.matchAll(gpt2)) words.push(chars(toByteLevel('\u2581' + m[0].replace(/ /g, '\u2581'))));
  const { vocab, merges } = trainBpe(words, 300, (a, b) => a + b);
  const tokens = byteChar.concat(vocab.filter(t => !byteChar.includes(t)));
  const n = tokens.length;
  files['misc-components'] = base({
    padding: { strategy: 'BatchLongest', direction: 'Left', pad_to_multiple_of: 8, pad_id: n + 2, pad_type_id: 0, pad_token: '<pad>' },
    added_tokens: [added(n, '<bos>', { special: true }), added(n + 1, '<sep>', { special: true }),
      added(n + 2, '<pad>', { special: true }), added(n + 3, 'hello', { normalized: true }),
      added(n + 4, '<ctl>', { special: true, normalized: true }), added(n + 5, ' world', { normalized: true, rstrip: true })],
    normalizer: { type: 'Sequence', normalizers: [{ type: 'Prepend', prepend: '\u2581' },
      { type: 'Replace', pattern: { String: ' ' }, content: '\u2581' }] },
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: false, use_regex: false },
    model: { type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null,
      fuse_unk: false, byte_fallback: false, vocab: vocabObj(tokens), merges },
    post_processor: template([{ SpecialToken: { id: 'BOS2', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
      { BOS2: { id: 'BOS2', ids: [n, n + 1], tokens: ['<bos>', '<sep>'] } }),
    decoder: { type: 'Sequence', decoders: [{ type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
      { type: 'Replace', pattern: { Regex: '\u2581+' }, content: ' ' }, { type: 'Strip', content: ' ', start: 2, stop: 0 }] },
  });
}

fs.mkdirSync(outDir, { recursive: true });
for (const [name, tok] of Object.entries(files)) {
  fs.writeFileSync(path.join(outDir, name + '.json'), JSON.stringify(tok) + '\n');
}
process.stderr.write(`${Object.keys(files).length} synthetic tokenizers in ${outDir}\n`);
