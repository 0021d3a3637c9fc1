package dev.mergelab.jinja;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Python's {@code str} methods with Python's semantics, for templates that call them ({@code x.strip()},
 * {@code x.split('</think>')}, {@code x.startswith('<tool_response>')}). Java's namesakes differ ({@code
 * String.split} takes a regular expression and drops trailing empty strings; {@code String.strip} does not
 * strip U+00A0), so every method a template can reach on a string is answered here, never by Java's.
 */
final class PythonStrings {

    private PythonStrings() {
    }

    /** Python's {@code str.isspace} for one character (Unicode White_Space plus the separators U+001C-U+001F). */
    static boolean isSpace(int c) {
        return Character.isWhitespace(c) || Character.isSpaceChar(c) || c == 0x85;
    }

    /**
     * Calls {@code name} on {@code s}; throws {@link NoSuchMethodException} when Python's str has no such method
     * taking these arguments.
     */
    static Object call(String s, String name, Object[] args) throws NoSuchMethodException {
        int n = args == null ? 0 : args.length;
        switch (name) {
            case "strip", "lstrip", "rstrip" -> {
                if (n > 1) {
                    break;
                }
                String chars = n == 1 && args[0] != null ? str(args[0]) : null;
                return strip(s, chars, !name.equals("rstrip"), !name.equals("lstrip"));
            }
            case "split", "rsplit" -> {
                if (n > 2) {
                    break;
                }
                String sep = n >= 1 && args[0] != null ? str(args[0]) : null;
                int max = n == 2 ? ((Number) args[1]).intValue() : -1;
                if (sep != null && sep.isEmpty()) {
                    throw new IllegalArgumentException("empty separator");
                }
                return name.equals("split") ? split(s, sep, max) : rsplit(s, sep, max);
            }
            case "startswith", "endswith" -> {
                if (n != 1) {
                    break;
                }
                boolean start = name.equals("startswith");
                if (args[0] instanceof List<?> options) {
                    for (Object o : options) {
                        if (start ? s.startsWith(str(o)) : s.endsWith(str(o))) {
                            return true;
                        }
                    }
                    return false;
                }
                return start ? s.startsWith(str(args[0])) : s.endsWith(str(args[0]));
            }
            case "upper" -> {
                if (n == 0) {
                    return s.toUpperCase(Locale.ROOT);
                }
            }
            case "lower" -> {
                if (n == 0) {
                    return s.toLowerCase(Locale.ROOT);
                }
            }
            case "title" -> {
                if (n == 0) {
                    return title(s);
                }
            }
            case "capitalize" -> {
                if (n == 0) {
                    return s.isEmpty() ? s : s.substring(0, s.offsetByCodePoints(0, 1)).toUpperCase(Locale.ROOT)
                            + s.substring(s.offsetByCodePoints(0, 1)).toLowerCase(Locale.ROOT);
                }
            }
            case "replace" -> {
                if (n == 2 || n == 3) {
                    return replace(s, str(args[0]), str(args[1]), n == 3 ? ((Number) args[2]).intValue() : -1);
                }
            }
            case "find", "index" -> {
                if (n == 1) {
                    int at = s.indexOf(str(args[0]));
                    if (at < 0 && name.equals("index")) {
                        throw new IllegalArgumentException("substring not found");
                    }
                    return at < 0 ? -1 : s.codePointCount(0, at);
                }
            }
            case "count" -> {
                if (n == 1) {
                    return count(s, str(args[0]));
                }
            }
            case "join" -> {
                if (n == 1 && args[0] instanceof Iterable<?> items) {
                    StringBuilder b = new StringBuilder();
                    boolean first = true;
                    for (Object o : items) {
                        if (!first) {
                            b.append(s);
                        }
                        b.append(str(o));
                        first = false;
                    }
                    return b.toString();
                }
            }
            case "splitlines" -> {
                if (n == 0) {
                    return List.of(s.split("\r\n|[\n\r\u000b\f\u001c\u001d\u001e\u0085\u2028\u2029]", -1)).stream()
                            .limit(s.isEmpty() ? 0 : Long.MAX_VALUE).toList();
                }
            }
            case "isdigit", "isspace", "isalpha", "isalnum", "isupper", "islower" -> {
                if (n == 0) {
                    return predicate(s, name);
                }
            }
            default -> {
            }
        }
        throw new NoSuchMethodException("str has no method " + name + " taking " + n + " argument" + (n == 1 ? "" : "s"));
    }

    private static String str(Object o) {
        if (!(o instanceof CharSequence c)) {
            throw new IllegalArgumentException("expected a string, got " + (o == null ? "none" : o.getClass().getSimpleName()));
        }
        return c.toString();
    }

    static String strip(String s, String chars, boolean left, boolean right) {
        int from = 0;
        int to = s.length();
        while (left && from < to) {
            int c = s.codePointAt(from);
            if (!(chars == null ? isSpace(c) : chars.indexOf(c) >= 0)) {
                break;
            }
            from += Character.charCount(c);
        }
        while (right && to > from) {
            int c = s.codePointBefore(to);
            if (!(chars == null ? isSpace(c) : chars.indexOf(c) >= 0)) {
                break;
            }
            to -= Character.charCount(c);
        }
        return s.substring(from, to);
    }

    static List<String> split(String s, String sep, int max) {
        List<String> out = new ArrayList<>();
        if (sep == null) {
            int i = 0;
            int n = s.length();
            while (true) {
                while (i < n && isSpace(s.codePointAt(i))) {
                    i += Character.charCount(s.codePointAt(i));
                }
                if (i >= n) {
                    return out;
                }
                if (max >= 0 && out.size() == max) {
                    out.add(strip(s.substring(i), null, false, true));
                    return out;
                }
                int j = i;
                while (j < n && !isSpace(s.codePointAt(j))) {
                    j += Character.charCount(s.codePointAt(j));
                }
                out.add(s.substring(i, j));
                i = j;
            }
        }
        int from = 0;
        while (max < 0 || out.size() < max) {
            int at = s.indexOf(sep, from);
            if (at < 0) {
                break;
            }
            out.add(s.substring(from, at));
            from = at + sep.length();
        }
        out.add(s.substring(from));
        return out;
    }

    static List<String> rsplit(String s, String sep, int max) {
        if (max < 0 || sep == null) {
            if (sep == null && max >= 0) {
                throw new IllegalArgumentException("rsplit without a separator but with maxsplit is not supported");
            }
            return split(s, sep, max);
        }
        List<String> out = new ArrayList<>();
        int to = s.length();
        while (out.size() < max) {
            int at = s.lastIndexOf(sep, to - sep.length());
            if (at < 0) {
                break;
            }
            out.addFirst(s.substring(at + sep.length(), to));
            to = at;
        }
        out.addFirst(s.substring(0, to));
        return out;
    }

    private static String replace(String s, String old, String with, int count) {
        if (count < 0) {
            if (old.isEmpty()) {
                StringBuilder b = new StringBuilder(with);
                s.codePoints().forEach(cp -> b.appendCodePoint(cp).append(with));
                return b.toString();
            }
            return s.replace(old, with);
        }
        StringBuilder b = new StringBuilder();
        int from = 0;
        int done = 0;
        while (done < count && !old.isEmpty()) {
            int at = s.indexOf(old, from);
            if (at < 0) {
                break;
            }
            b.append(s, from, at).append(with);
            from = at + old.length();
            done++;
        }
        return b.append(s.substring(from)).toString();
    }

    private static int count(String s, String sub) {
        if (sub.isEmpty()) {
            return s.codePointCount(0, s.length()) + 1;
        }
        int c = 0;
        for (int at = s.indexOf(sub); at >= 0; at = s.indexOf(sub, at + sub.length())) {
            c++;
        }
        return c;
    }

    /** Python's title(): a letter after a cased letter is lowered, any other letter raised. */
    private static String title(String s) {
        StringBuilder b = new StringBuilder(s.length());
        boolean previousCased = false;
        for (int i = 0; i < s.length(); ) {
            int c = s.codePointAt(i);
            if (previousCased) {
                b.appendCodePoint(Character.toLowerCase(c));
            } else {
                b.appendCodePoint(Character.toTitleCase(c));
            }
            previousCased = Character.isUpperCase(c) || Character.isLowerCase(c) || Character.isTitleCase(c);
            i += Character.charCount(c);
        }
        return b.toString();
    }

    private static boolean predicate(String s, String name) {
        if (s.isEmpty()) {
            return false;
        }
        boolean anyCased = false;
        for (int i = 0; i < s.length(); ) {
            int c = s.codePointAt(i);
            i += Character.charCount(c);
            switch (name) {
                case "isdigit" -> {
                    if (!Character.isDigit(c)) {
                        return false;
                    }
                }
                case "isspace" -> {
                    if (!isSpace(c)) {
                        return false;
                    }
                }
                case "isalpha" -> {
                    if (!Character.isLetter(c)) {
                        return false;
                    }
                }
                case "isalnum" -> {
                    if (!Character.isLetterOrDigit(c)) {
                        return false;
                    }
                }
                case "isupper" -> {
                    if (Character.isLowerCase(c)) {
                        return false;
                    }
                    anyCased |= Character.isUpperCase(c);
                }
                case "islower" -> {
                    if (Character.isUpperCase(c)) {
                        return false;
                    }
                    anyCased |= Character.isLowerCase(c);
                }
                default -> throw new IllegalStateException(name);
            }
        }
        return name.equals("isupper") || name.equals("islower") ? anyCased : true;
    }
}
