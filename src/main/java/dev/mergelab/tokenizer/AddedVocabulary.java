package dev.mergelab.tokenizer;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Added tokens: their ids (given the way the library gives them when loading: an existing vocabulary id,
 * else the next free id after the model's vocabulary, whatever the file says) and how they are found in text:
 * leftmost-longest matching, first the tokens that are not normalized on the raw text, then the normalized
 * ones on each normalized piece; {@code single_word} tokens only between non-word characters, {@code lstrip}
 * and {@code rstrip} ones taking the whitespace beside them.
 */
final class AddedVocabulary {

    private static final Pattern WORD_CHAR = Pattern.compile("\\w", Pattern.UNICODE_CHARACTER_CLASS);

    private final Map<String, Integer> contentToId = new HashMap<>();
    private final Map<Integer, AddedToken> idToToken = new HashMap<>();
    private final Set<String> special = new HashSet<>();
    private final Map<Integer, String> normalizedContent = new HashMap<>();
    private final Matcher raw;
    private final Matcher normalized;

    AddedVocabulary(List<AddedToken> tokens, Model model, Normalizer normalizer) {
        List<AddedToken> specials = new ArrayList<>();
        List<AddedToken> classic = new ArrayList<>();
        for (AddedToken t : tokens) {
            if (t.special() && !t.content().isEmpty() && special.add(t.content())) {
                specials.add(t);
            }
        }
        int maxAdded = -1;
        Set<String> inReverseMap = new HashSet<>();
        for (AddedToken t : tokens) {
            if (t.content().isEmpty() || inReverseMap.contains(t.content())) {
                continue;
            }
            Integer known = contentToId.get(t.content());
            int id;
            if (known != null) {
                id = known;
            } else if (model.tokenToId(t.content()) >= 0) {
                id = model.tokenToId(t.content());
            } else if (maxAdded < 0) {
                id = model.vocabSize();
            } else {
                id = maxAdded >= model.vocabSize() || model.vocabSize() == 0 ? maxAdded + 1 : model.vocabSize();
            }
            contentToId.put(t.content(), id);
            AddedToken replaced = idToToken.put(id, t);
            if (replaced != null) {
                inReverseMap.remove(replaced.content());
            }
            inReverseMap.add(t.content());
            maxAdded = Math.max(maxAdded, id);
            if (!special.contains(t.content())) {
                classic.add(t);
            }
        }
        List<String> rawList = new ArrayList<>();
        List<Integer> rawIds = new ArrayList<>();
        List<String> normList = new ArrayList<>();
        List<Integer> normIds = new ArrayList<>();
        List<AddedToken> ordered = new ArrayList<>(specials);
        ordered.addAll(classic);
        for (AddedToken t : ordered) {
            int id = contentToId.containsKey(t.content()) ? contentToId.get(t.content()) : model.tokenToId(t.content());
            if (t.normalized()) {
                String form = normalizer == null ? t.content() : normalizer.normalize(t.content());
                normList.add(form);
                normIds.add(id);
                // The library's id-to-token answer for a normalized added token is its normalized form.
                normalizedContent.put(id, form);
            } else {
                rawList.add(t.content());
                rawIds.add(id);
            }
        }
        raw = new Matcher(rawList, rawIds);
        normalized = new Matcher(normList, normIds);
    }

    int id(String content) {
        Integer id = contentToId.get(content);
        return id == null ? -1 : id;
    }

    /** The content of an added token's id, or null. */
    String content(int id) {
        AddedToken t = idToToken.get(id);
        return t == null ? null : normalizedContent.getOrDefault(id, t.content());
    }

    boolean isSpecial(String content) {
        return special.contains(content);
    }

    boolean isEmpty() {
        return idToToken.isEmpty();
    }

    /** Splits the raw text on the non-normalized added tokens. */
    List<Piece> splitRaw(Piece p) {
        return raw.split(p, this);
    }

    /** Normalizes each free piece, then splits it on the normalized added tokens. */
    List<Piece> normalizeAndSplit(List<Piece> pieces, Normalizer normalizer) {
        List<Piece> out = new ArrayList<>(pieces.size());
        for (Piece p : pieces) {
            if (p.isToken()) {
                out.add(p);
                continue;
            }
            Piece n = normalizer == null ? p : normalizer.normalize(p);
            for (Piece q : normalized.split(n, this)) {
                if (!q.text.isEmpty()) {
                    out.add(q);
                }
            }
        }
        return out;
    }

    /** Leftmost-longest matching over a character trie of the token contents. */
    private static final class Matcher {
        private final LongIntMap edges;
        private final IntList terminal = new IntList();
        private final int[] ids;
        private final BitSet firstChars = new BitSet(65536);

        Matcher(List<String> patterns, List<Integer> ids) {
            this.ids = ids.stream().mapToInt(Integer::intValue).toArray();
            int total = 0;
            for (String s : patterns) {
                total += s.length();
            }
            edges = new LongIntMap(Math.max(16, total));
            terminal.add(-1);
            for (int i = 0; i < patterns.size(); i++) {
                String s = patterns.get(i);
                if (s.isEmpty()) {
                    continue;
                }
                firstChars.set(s.charAt(0));
                int node = 0;
                for (int k = 0; k < s.length(); k++) {
                    long key = ((long) node << 16) | s.charAt(k);
                    int child = edges.get(key);
                    if (child < 0) {
                        child = terminal.size;
                        terminal.add(-1);
                        edges.put(key, child);
                    }
                    node = child;
                }
                if (terminal.a[node] < 0) {
                    terminal.a[node] = i; // the first of equal patterns wins
                }
            }
        }

        List<Piece> split(Piece p, AddedVocabulary v) {
            String s = p.text;
            List<Piece> out = new ArrayList<>(4);
            if (terminal.size == 1) {
                out.add(p);
                return out;
            }
            int startOffset = 0;
            int i = 0;
            while (i < s.length()) {
                if (!firstChars.get(s.charAt(i))) {
                    i++;
                    continue;
                }
                int node = 0;
                int matchEnd = -1;
                int matchPattern = -1;
                for (int k = i; k < s.length(); k++) {
                    node = edges.get(((long) node << 16) | s.charAt(k));
                    if (node < 0) {
                        break;
                    }
                    if (terminal.a[node] >= 0) {
                        matchEnd = k + 1;
                        matchPattern = terminal.a[node];
                    }
                }
                if (matchEnd < 0) {
                    i++;
                    continue;
                }
                int start = i;
                int stop = matchEnd;
                i = matchEnd; // the scan resumes after the match, even one discarded below
                int id = ids[matchPattern];
                AddedToken t = v.idToToken.get(id);
                if (t.singleWord()) {
                    boolean startSpace = start == 0 || !isWordChar(s.codePointBefore(start));
                    boolean stopSpace = stop == s.length() || !isWordChar(s.codePointAt(stop));
                    if (!startSpace || !stopSpace) {
                        continue;
                    }
                }
                if (t.lstrip()) {
                    int newStart = start;
                    while (newStart > 0 && Text.isWhiteSpace(s.codePointBefore(newStart))) {
                        newStart -= Character.charCount(s.codePointBefore(newStart));
                    }
                    start = Math.max(newStart, startOffset);
                }
                if (t.rstrip()) {
                    while (stop < s.length() && Text.isWhiteSpace(s.codePointAt(stop))) {
                        stop += Character.charCount(s.codePointAt(stop));
                    }
                }
                if (startOffset < start) {
                    out.add(p.slice(startOffset, start));
                }
                out.add(Piece.token(s.substring(start, stop), p.origAt(start), id));
                startOffset = stop;
            }
            if (startOffset != s.length()) {
                out.add(p.slice(startOffset, s.length()));
            }
            return out;
        }

        private static boolean isWordChar(int cp) {
            return WORD_CHAR.matcher(Character.toString(cp)).matches();
        }
    }
}
