package dev.mergelab.tokenizer;

import dev.mergelab.MergeLabException;
import java.util.function.IntPredicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What Split, Replace and the character-class pre-tokenizers look for, and how they report it: the text cut
 * into consecutive (start, end, isMatch) triples covering all of it, as the library's {@code find_matches}.
 */
abstract class SplitPattern {

    /** Appends (start, end, 1 if match else 0) triples covering {@code s}, in order. */
    abstract void find(String s, IntList out);

    /** A JSON {@code {"String": ...}} or {@code {"Regex": ...}} pattern. */
    static SplitPattern parse(JsonField f) {
        f.object();
        if (f.has("String")) {
            return literal(f.get("String").string());
        }
        if (f.has("Regex")) {
            return regex(RustRegex.compile(f.get("Regex")));
        }
        throw f.error("has neither String nor Regex");
    }

    static SplitPattern literal(String needle) {
        return new SplitPattern() {
            @Override
            void find(String s, IntList out) {
                if (needle.isEmpty()) {
                    // The library matches nothing with an empty string pattern.
                    triple(out, 0, s.length(), false);
                    return;
                }
                int prev = 0;
                for (int at = s.indexOf(needle); at >= 0; at = s.indexOf(needle, at + needle.length())) {
                    if (at > prev) {
                        triple(out, prev, at, false);
                    }
                    triple(out, at, at + needle.length(), true);
                    prev = at + needle.length();
                }
                if (prev < s.length()) {
                    triple(out, prev, s.length(), false);
                }
            }
        };
    }

    static SplitPattern regex(Pattern pattern) {
        return new SplitPattern() {
            @Override
            void find(String s, IntList out) {
                if (s.isEmpty()) {
                    triple(out, 0, 0, false);
                    return;
                }
                Matcher m = pattern.matcher(s);
                int prev = 0;
                try {
                    while (m.find()) {
                        if (m.start() != prev) {
                            triple(out, prev, m.start(), false);
                        }
                        triple(out, m.start(), m.end(), true);
                        prev = m.end();
                    }
                } catch (StackOverflowError e) {
                    // Java's matcher recurses for some patterns (a repeated group); the library's does not.
                    throw MergeLabException.input("the tokenizer's regex " + Text.quoted(pattern.pattern())
                            + " recursed too deeply on a " + s.length() + "-character piece of text", null);
                }
                if (prev != s.length()) {
                    triple(out, prev, s.length(), false);
                }
            }
        };
    }

    /** Every single character for which {@code test} holds is its own match. */
    static SplitPattern chars(IntPredicate test) {
        return new SplitPattern() {
            @Override
            void find(String s, IntList out) {
                if (s.isEmpty()) {
                    triple(out, 0, 0, false);
                    return;
                }
                int last = 0;
                for (int i = 0; i < s.length(); ) {
                    int cp = s.codePointAt(i);
                    int n = Character.charCount(cp);
                    if (test.test(cp)) {
                        if (last < i) {
                            triple(out, last, i, false);
                        }
                        triple(out, i, i + n, true);
                        last = i + n;
                    }
                    i += n;
                }
                if (last < s.length()) {
                    triple(out, last, s.length(), false);
                }
            }
        };
    }

    /** The same cuts with match and non-match swapped. */
    SplitPattern inverted() {
        SplitPattern inner = this;
        return new SplitPattern() {
            @Override
            void find(String s, IntList out) {
                int from = out.size;
                inner.find(s, out);
                for (int i = from + 2; i < out.size; i += 3) {
                    out.a[i] ^= 1;
                }
            }
        };
    }

    static void triple(IntList out, int start, int end, boolean match) {
        out.add(start);
        out.add(end);
        out.add(match ? 1 : 0);
    }
}
