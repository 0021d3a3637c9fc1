"""A small byte-level BPE: trained here, written as a Hugging Face tokenizer.json, and applied here to make the
training ids (the Rust `tokenizers` library and MergeLab's tokenizer read the same file; the family's tests check
that they agree with each other on the held-out text).

Pre-tokenization is a Split on an ASCII-only regex (so Python's `re`, Oniguruma and Java agree on it) followed by
ByteLevel without its own regex: words are runs of letters, of digits, or of other non-space characters, each
with an optional leading space, and runs of whitespace (the last space before a word stays with the word)."""
import collections
import re

WS = "\\t\\n\\x0b\\x0c\\r "
SPLIT_REGEX = f" ?[A-Za-z]+| ?[0-9]+| ?[^{WS}A-Za-z0-9]+|[{WS}]+(?![^{WS}])|[{WS}]+"
_SPLIT = re.compile(SPLIT_REGEX)
SPECIALS = ["<s>", "</s>"]


def _bytes_to_unicode():
    """GPT-2's printable stand-in character for each byte (what ByteLevel does)."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, map(chr, cs)))


BYTE_CHAR = _bytes_to_unicode()


def words(text):
    """The pre-tokenized words of a text, each as ByteLevel characters."""
    return ["".join(BYTE_CHAR[b] for b in w.encode("utf-8")) for w in _SPLIT.findall(text)]


def train(texts, vocab_size):
    """Merges learned from texts until the vocabulary (specials + 256 bytes + merges) has vocab_size entries.
    The most frequent pair wins; ties go to the smallest pair in code-point order, so training is deterministic."""
    counts = collections.Counter()
    for t in texts:
        counts.update(words(t))
    seqs = [list(w) for w in counts]
    freq = list(counts.values())
    pairs = collections.Counter()
    where = collections.defaultdict(set)
    for i, s in enumerate(seqs):
        for a, b in zip(s, s[1:]):
            pairs[(a, b)] += freq[i]
            where[(a, b)].add(i)
    merges = []
    while len(SPECIALS) + 256 + len(merges) < vocab_size and pairs:
        best = min(pairs.items(), key=lambda kv: (-kv[1], kv[0]))[0]
        if pairs[best] < 2:
            break
        merges.append(best)
        joined = best[0] + best[1]
        for i in sorted(where.pop(best, ())):
            s = seqs[i]
            f = freq[i]
            for a, b in zip(s, s[1:]):
                pairs[(a, b)] -= f
                if pairs[(a, b)] <= 0:
                    del pairs[(a, b)]
            out = []
            j = 0
            while j < len(s):
                if j + 1 < len(s) and s[j] == best[0] and s[j + 1] == best[1]:
                    out.append(joined)
                    j += 2
                else:
                    out.append(s[j])
                    j += 1
            seqs[i] = out
            for a, b in zip(out, out[1:]):
                pairs[(a, b)] += f
                where[(a, b)].add(i)
    return merges


class Encoder:
    def __init__(self, merges):
        self.vocab = {t: i for i, t in enumerate(SPECIALS)}
        for b in range(256):
            self.vocab[BYTE_CHAR[b]] = len(self.vocab)
        for a, b in merges:
            self.vocab[a + b] = len(self.vocab)
        self.merges = merges
        self.rank = {m: r for r, m in enumerate(merges)}
        self.cache = {}

    def _word(self, w):
        got = self.cache.get(w)
        if got is not None:
            return got
        s = list(w)
        while len(s) > 1:
            best = min(((self.rank.get((a, b), 1 << 30), k) for k, (a, b) in enumerate(zip(s, s[1:]))))
            if best[0] == 1 << 30:
                break
            k = best[1]
            s[k:k + 2] = [s[k] + s[k + 1]]
        ids = [self.vocab[t] for t in s]
        self.cache[w] = ids
        return ids

    def encode(self, text):
        out = []
        for w in words(text):
            out.extend(self._word(w))
        return out

    def tokenizer_json(self):
        return {
            "version": "1.0",
            "truncation": None,
            "padding": None,
            "added_tokens": [{"id": i, "content": t, "single_word": False, "lstrip": False, "rstrip": False,
                              "normalized": False, "special": True} for i, t in enumerate(SPECIALS)],
            "normalizer": None,
            "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
                {"type": "Split", "pattern": {"Regex": SPLIT_REGEX}, "behavior": "Isolated", "invert": False},
                {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": False}]},
            "post_processor": None,
            "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
            "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None,
                      "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False, "ignore_merges": False,
                      "vocab": self.vocab, "merges": [[a, b] for a, b in self.merges]},
        }
