package dev.mergelab.tokenizer;

import dev.mergelab.MergeLabException;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Byte-pair encoding as the Rust library does it: a piece starts as one symbol per character (with the
 * continuing-subword prefix on all but the first and the end-of-word suffix on the last; unknown characters
 * become byte tokens with {@code byte_fallback}, else the unknown token, consecutive ones fused with
 * {@code fuse_unk}), then the pair with the lowest merge rank (leftmost on ties) is merged until none is left.
 * Results are cached per piece, since real text repeats its words.
 */
final class BpeModel extends VocabModel {

    private static final int CACHE_LIMIT = 100_000;
    /** Longer pieces (whole sentences, for tokenizers without a pre-tokenizer) rarely repeat: not cached. */
    private static final int CACHE_MAX_PIECE = 256;

    /** (left id, right id) -> index into ranks/newIds. */
    private final LongIntMap pairs;
    private final int[] ranks;
    private final int[] newIds;
    private final String unkToken;
    private final String prefix;
    private final String suffix;
    private final boolean fuseUnk;
    private final boolean byteFallback;
    private final boolean ignoreMerges;
    private final int[] byteIds = new int[256];
    private final ConcurrentHashMap<String, int[]> cache = new ConcurrentHashMap<>();

    private BpeModel(Vocab vocab, List<String[]> merges, List<JsonField> mergeFields, String unkToken, String prefix, String suffix,
            boolean fuseUnk, boolean byteFallback, boolean ignoreMerges) {
        super(vocab);
        this.unkToken = unkToken;
        this.prefix = prefix;
        this.suffix = suffix;
        this.fuseUnk = fuseUnk;
        this.byteFallback = byteFallback;
        this.ignoreMerges = ignoreMerges;
        for (int b = 0; b < 256; b++) {
            byteIds[b] = vocab.id(String.format("<0x%02X>", b));
        }
        int n = merges.size();
        pairs = new LongIntMap(n);
        ranks = new int[n];
        newIds = new int[n];
        int cut = prefix == null ? 0 : prefix.length();
        for (int i = 0; i < n; i++) {
            String a = merges.get(i)[0];
            String b = merges.get(i)[1];
            int aId = vocab.id(a);
            int bId = vocab.id(b);
            JsonField at = mergeFields.get(i);
            if (aId < 0 || bId < 0) {
                throw at.error("merges " + Text.quoted(aId < 0 ? a : b) + ", a token that is not in the vocab");
            }
            if (cut > b.length()) {
                throw at.error("has a right part shorter than the continuing_subword_prefix");
            }
            String merged = a + b.substring(cut);
            int newId = vocab.id(merged);
            if (newId < 0) {
                throw at.error("makes " + Text.quoted(merged) + ", a token that is not in the vocab");
            }
            // A pair listed twice takes its last rank, as the library's map does.
            pairs.put(((long) aId << 32) | (bId & 0xFFFFFFFFL), i);
            ranks[i] = i;
            newIds[i] = newId;
        }
    }

    static BpeModel parse(JsonField f) {
        if (!f.get("dropout").isNull() && f.get("dropout").number() != 0.0) {
            throw f.get("dropout").error("is set: BPE dropout is random, so no exact tokenizer can follow it");
        }
        Vocab vocab = Vocab.parse(f.get("vocab"));
        List<JsonField> list = f.get("merges").isNull() ? List.of() : f.get("merges").array();
        List<String[]> merges = new java.util.ArrayList<>(list.size());
        for (JsonField m : list) {
            if (m.node() != null && m.node().isTextual()) {
                String s = m.string();
                int sp = s.indexOf(' ');
                if (sp < 0 || s.indexOf(' ', sp + 1) >= 0) {
                    throw m.error("is not two tokens separated by one space");
                }
                merges.add(new String[] {s.substring(0, sp), s.substring(sp + 1)});
            } else {
                List<JsonField> two = m.array();
                if (two.size() != 2) {
                    throw m.error("is not a pair of two tokens");
                }
                merges.add(new String[] {two.get(0).string(), two.get(1).string()});
            }
        }
        return new BpeModel(vocab, merges, list, f.get("unk_token").string(null),
                f.get("continuing_subword_prefix").string(null), f.get("end_of_word_suffix").string(null),
                f.get("fuse_unk").bool(false), f.get("byte_fallback").bool(false), f.get("ignore_merges").bool(false));
    }

    @Override
    public void tokenize(String piece, IntList out) {
        if (ignoreMerges) {
            int id = vocab.id(piece);
            if (id >= 0) {
                out.add(id);
                return;
            }
        }
        int[] hit = cache.get(piece);
        if (hit == null) {
            hit = merge(piece);
            if (cache.size() < CACHE_LIMIT && piece.length() <= CACHE_MAX_PIECE) {
                cache.put(piece, hit);
            }
        }
        out.addAll(hit);
    }

    /** The library's {@code merge_word} followed by {@code merge_all}. */
    private int[] merge(String w) {
        IntList symbols = new IntList(w.length() + 4);
        int pendingUnk = -1;
        byte[] utf8 = new byte[4];
        for (int i = 0; i < w.length(); ) {
            int cp = w.codePointAt(i);
            int end = i + Character.charCount(cp);
            String s = w.substring(i, end);
            if (i > 0 && prefix != null) {
                s = prefix + s;
            }
            if (end == w.length() && suffix != null) {
                s = s + suffix;
            }
            int id = vocab.id(s);
            if (id >= 0) {
                if (pendingUnk >= 0) {
                    symbols.add(pendingUnk);
                    pendingUnk = -1;
                }
                symbols.add(id);
            } else if (byteFallback && addBytes(s, symbols, utf8)) {
                // Byte tokens do not flush a pending unknown token (the library's order).
            } else if (unkToken != null) {
                int unk = vocab.id(unkToken);
                if (unk < 0) {
                    throw MergeLabException.input("the BPE unk_token " + Text.quoted(unkToken) + " is not in the vocab",
                            "check the tokenizer file");
                }
                if (pendingUnk >= 0 && !fuseUnk) {
                    symbols.add(pendingUnk);
                }
                pendingUnk = unk;
            }
            i = end;
        }
        if (pendingUnk >= 0) {
            symbols.add(pendingUnk);
        }
        return mergeAll(symbols.toArray());
    }

    private boolean addBytes(String s, IntList symbols, byte[] buf) {
        byte[] bytes = ByteLevelMap.utf8(s);
        for (byte b : bytes) {
            if (byteIds[b & 0xFF] < 0) {
                return false;
            }
        }
        for (byte b : bytes) {
            symbols.add(byteIds[b & 0xFF]);
        }
        return true;
    }

    private int pairIndex(int a, int b) {
        return pairs.get(((long) a << 32) | (b & 0xFFFFFFFFL));
    }

    /** Merges the lowest-ranked pair (leftmost on ties) until no pair has a merge. */
    private int[] mergeAll(int[] sym) {
        int n = sym.length;
        if (n < 2) {
            return sym;
        }
        int[] prev = new int[n];
        int[] next = new int[n];
        boolean[] gone = new boolean[n];
        MergeQueue queue = new MergeQueue(n);
        for (int i = 0; i < n; i++) {
            prev[i] = i - 1;
            next[i] = i + 1 < n ? i + 1 : -1;
            if (i + 1 < n) {
                int m = pairIndex(sym[i], sym[i + 1]);
                if (m >= 0) {
                    queue.push(ranks[m], i, newIds[m]);
                }
            }
        }
        while (!queue.isEmpty()) {
            int pos = queue.topPos();
            int newId = queue.topNewId();
            queue.pop();
            if (gone[pos] || next[pos] < 0) {
                continue;
            }
            int right = next[pos];
            int m = pairIndex(sym[pos], sym[right]);
            if (m < 0 || newIds[m] != newId) {
                continue; // stale entry: a neighbour changed since it was queued
            }
            sym[pos] = newId;
            gone[right] = true;
            next[pos] = next[right];
            if (next[right] >= 0) {
                prev[next[right]] = pos;
            }
            if (prev[pos] >= 0) {
                int pm = pairIndex(sym[prev[pos]], sym[pos]);
                if (pm >= 0) {
                    queue.push(ranks[pm], prev[pos], newIds[pm]);
                }
            }
            if (next[pos] >= 0) {
                int nm = pairIndex(sym[pos], sym[next[pos]]);
                if (nm >= 0) {
                    queue.push(ranks[nm], pos, newIds[nm]);
                }
            }
        }
        IntList out = new IntList(n);
        for (int i = 0; i >= 0; i = next[i]) {
            out.add(sym[i]);
        }
        return out.toArray();
    }

    /** A binary min-heap of (rank, position) with the merged id carried along. */
    private static final class MergeQueue {
        private long[] keys;
        private int[] payload;
        private int size;

        MergeQueue(int capacity) {
            keys = new long[capacity + 4];
            payload = new int[capacity + 4];
        }

        boolean isEmpty() {
            return size == 0;
        }

        void push(int rank, int pos, int newId) {
            if (size == keys.length) {
                keys = java.util.Arrays.copyOf(keys, size * 2);
                payload = java.util.Arrays.copyOf(payload, size * 2);
            }
            long k = ((long) rank << 32) | pos;
            int i = size++;
            while (i > 0) {
                int parent = (i - 1) >>> 1;
                if (keys[parent] <= k) {
                    break;
                }
                keys[i] = keys[parent];
                payload[i] = payload[parent];
                i = parent;
            }
            keys[i] = k;
            payload[i] = newId;
        }

        int topPos() {
            return (int) keys[0];
        }

        int topNewId() {
            return payload[0];
        }

        void pop() {
            long k = keys[--size];
            int v = payload[size];
            int i = 0;
            while (true) {
                int c = 2 * i + 1;
                if (c >= size) {
                    break;
                }
                if (c + 1 < size && keys[c + 1] < keys[c]) {
                    c++;
                }
                if (keys[c] >= k) {
                    break;
                }
                keys[i] = keys[c];
                payload[i] = payload[c];
                i = c;
            }
            keys[i] = k;
            payload[i] = v;
        }
    }
}
