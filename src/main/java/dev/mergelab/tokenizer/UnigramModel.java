package dev.mergelab.tokenizer;

import dev.mergelab.MergeLabException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Unigram (SentencePiece): the segmentation with the highest total score (Viterbi over every vocabulary
 * match, found through a trie), characters no piece covers scored as the unknown token at the lowest score
 * minus 10 and fused with unknown neighbours; unknown runs become byte tokens with {@code byte_fallback}.
 */
final class UnigramModel implements Model {

    private static final double UNK_PENALTY = 10.0;
    private static final int CACHE_LIMIT = 100_000;
    /** Longer pieces (whole sentences, for tokenizers without a pre-tokenizer) rarely repeat: not cached. */
    private static final int CACHE_MAX_PIECE = 256;

    private final String[] pieces;
    private final double[] scores;
    private final Map<String, Integer> ids;
    private final int unkId;
    private final boolean byteFallback;
    private final double minScore;
    /** Trie edges: (node << 16 | char) -> child node; terminal[node] = vocab index ending there, or -1. */
    private final LongIntMap edges;
    private final IntList terminal = new IntList();
    private final ConcurrentHashMap<String, int[]> cache = new ConcurrentHashMap<>();

    private UnigramModel(String[] pieces, double[] scores, int unkId, boolean byteFallback) {
        this.pieces = pieces;
        this.scores = scores;
        this.unkId = unkId;
        this.byteFallback = byteFallback;
        ids = new HashMap<>(pieces.length * 2);
        double min = Double.POSITIVE_INFINITY;
        edges = new LongIntMap(pieces.length * 4);
        terminal.add(-1);
        for (int i = 0; i < pieces.length; i++) {
            ids.put(pieces[i], i);
            min = Math.min(min, scores[i]);
            int node = 0;
            for (int k = 0; k < pieces[i].length(); k++) {
                long key = ((long) node << 16) | pieces[i].charAt(k);
                int child = edges.get(key);
                if (child < 0) {
                    child = terminal.size;
                    terminal.add(-1);
                    edges.put(key, child);
                }
                node = child;
            }
            if (!pieces[i].isEmpty() && terminal.a[node] < 0) {
                terminal.a[node] = i;
            }
        }
        minScore = min;
    }

    static UnigramModel parse(JsonField f) {
        List<JsonField> vocab = f.get("vocab").array();
        String[] pieces = new String[vocab.size()];
        double[] scores = new double[vocab.size()];
        for (int i = 0; i < pieces.length; i++) {
            List<JsonField> pair = vocab.get(i).array();
            if (pair.size() != 2) {
                throw vocab.get(i).error("is not a [piece, score] pair");
            }
            pieces[i] = pair.get(0).string();
            scores[i] = pair.get(1).number();
        }
        int unkId = f.get("unk_id").index(-1);
        if (unkId >= pieces.length) {
            throw f.get("unk_id").error("is " + unkId + ", past the end of the " + pieces.length + "-entry vocab");
        }
        return new UnigramModel(pieces, scores, unkId, f.get("byte_fallback").bool(false));
    }

    @Override
    public void tokenize(String s, IntList out) {
        int[] hit = cache.get(s);
        if (hit == null) {
            hit = encode(s);
            if (cache.size() < CACHE_LIMIT && s.length() <= CACHE_MAX_PIECE) {
                cache.put(s, hit);
            }
        }
        out.addAll(hit);
    }

    private int[] encode(String s) {
        IntList out = new IntList();
        for (String piece : bestPath(s)) {
            Integer id = ids.get(piece);
            if (id != null) {
                out.add(id);
                continue;
            }
            if (byteFallback && addBytes(piece, out)) {
                continue;
            }
            out.add(requireUnk());
        }
        return out.toArray();
    }

    private boolean addBytes(String piece, IntList out) {
        byte[] bytes = ByteLevelMap.utf8(piece);
        int[] found = new int[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            Integer id = ids.get(String.format("<0x%02X>", bytes[i] & 0xFF));
            if (id == null) {
                return false;
            }
            found[i] = id;
        }
        out.addAll(found);
        return true;
    }

    private int requireUnk() {
        if (unkId < 0) {
            throw MergeLabException.input("the Unigram model has no unk_id but the text has a character no piece covers",
                    "check the tokenizer file");
        }
        return unkId;
    }

    /** Viterbi over the lattice; returns the best segmentation with unknown runs fused. */
    private List<String> bestPath(String s) {
        int n = s.length();
        double[] best = new double[n + 1];
        int[] from = new int[n + 1];
        int[] via = new int[n + 1];
        java.util.Arrays.fill(from, -1);
        double unkScore = minScore - UNK_PENALTY;
        int start = 0;
        while (start < n) {
            double here = best[start];
            int charLen = Character.charCount(s.codePointAt(start));
            boolean single = false;
            int node = 0;
            for (int k = start; k < n; k++) {
                node = edges.get(((long) node << 16) | s.charAt(k));
                if (node < 0) {
                    break;
                }
                int v = terminal.a[node];
                if (v >= 0) {
                    int end = k + 1;
                    // The library looks the piece up by its text, so a duplicated piece scores as its last entry.
                    int id = ids.get(pieces[v]);
                    double cand = scores[id] + here;
                    if (from[end] < 0 || cand > best[end]) {
                        best[end] = cand;
                        from[end] = start;
                        via[end] = id;
                    }
                    if (end - start == charLen) {
                        single = true;
                    }
                }
            }
            if (!single) {
                int end = start + charLen;
                double cand = unkScore + here;
                if (from[end] < 0 || cand > best[end]) {
                    best[end] = cand;
                    from[end] = start;
                    via[end] = requireUnk();
                }
            }
            start += charLen;
        }
        List<String> result = new ArrayList<>();
        List<String> reversedUnk = new ArrayList<>();
        for (int end = n; end > 0; ) {
            int begin = from[end];
            String piece = s.substring(begin, end);
            if (unkId >= 0 && via[end] == unkId) {
                reversedUnk.add(piece);
            } else {
                flushUnk(reversedUnk, result);
                result.add(piece);
            }
            end = begin;
        }
        flushUnk(reversedUnk, result);
        java.util.Collections.reverse(result);
        return result;
    }

    private static void flushUnk(List<String> reversedUnk, List<String> result) {
        if (reversedUnk.isEmpty()) {
            return;
        }
        StringBuilder sb = new StringBuilder();
        for (int i = reversedUnk.size() - 1; i >= 0; i--) {
            sb.append(reversedUnk.get(i));
        }
        result.add(sb.toString());
        reversedUnk.clear();
    }

    @Override
    public int tokenToId(String token) {
        Integer id = ids.get(token);
        return id == null ? -1 : id;
    }

    @Override
    public String idToToken(int id) {
        return id >= 0 && id < pieces.length ? pieces[id] : null;
    }

    @Override
    public int vocabSize() {
        return pieces.length;
    }
}
