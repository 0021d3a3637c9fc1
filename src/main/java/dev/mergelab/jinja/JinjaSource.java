package dev.mergelab.jinja;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Rewrites a template so that Jinjava, run without any whitespace control of its own, renders what jinja2
 * renders. The differences handled here, before Jinjava parses anything:
 * <ul>
 *   <li><b>Whitespace control</b> is applied here with jinja2's lexer rules, because Jinjava's differs (it strips
 *       spaces before a block tag that does not start its line, and misreads {@code {%+}): {@code -} on a tag
 *       strips all whitespace on that side; {@code trim_blocks} drops the one newline after a block or comment
 *       tag; {@code lstrip_blocks} drops the spaces and tabs between the start of a line and a block or comment
 *       tag; {@code +} turns either off for that tag. Comments are dropped.</li>
 *   <li><b>Newlines</b>: {@code \r\n} and {@code \r} become {@code \n}, and one newline at the very end of the
 *       template is dropped (jinja2 without {@code keep_trailing_newline}). lm-eval's environment keeps it and sets
 *       neither {@code trim_blocks} nor {@code lstrip_blocks}: {@link #rewrite(String, boolean, boolean)}.</li>
 *   <li><b>String literals</b> are Python literals in jinja2 ({@code '\n'} is a newline, {@code '\u00e9'} an é, an
 *       unknown escape such as {@code '\d'} stays as written); Jinjava keeps {@code \n} as two characters. Each
 *       literal is decoded the Python way and written back as the characters themselves, only quotes and
 *       backslashes escaped.</li>
 *   <li><b>{@code x[::-1]}</b>: Jinjava's parser has no slice step; the reversal templates use (Qwen 3) becomes
 *       {@code x|reverse}, the same items in the same order.</li>
 *   <li><b>{@code f(name=a - 1)}</b>: Jinjava binds a keyword argument tighter than arithmetic and reads
 *       {@code (name=a) - 1} (Qwen 3's {@code namespace(last_query_index=messages|length - 1)}); each keyword
 *       argument's value is put in parentheses.</li>
 *   <li><b>{@code {% for %}...{% else %}...{% endfor %}}</b>: Jinjava has no loop {@code else}; a loop that has one
 *       records in a namespace whether it ran, and the {@code else} part becomes an {@code if} after the loop.</li>
 *   <li><b>{@code {% for x in items if cond %}}</b>: Jinjava has no loop filter; the items that pass are
 *       collected first, so that {@code loop.index}, {@code loop.length} and {@code loop.last} count only
 *       them, as in jinja2.</li>
 *   <li><b>{@code not x is defined}</b>: jinja2 reads {@code not (x is defined)}, Jinjava {@code (not x) is
 *       defined} (DeepSeek V3's first line); the test is put in parentheses.</li>
 * </ul>
 * Line numbers are kept: an error Jinjava reports on line n is on line n of the template.
 */
final class JinjaSource {

    private final String text;

    private JinjaSource(String text) {
        this.text = text;
    }

    /** The text for Jinjava, whose line numbers are the template's. */
    String text() {
        return text;
    }

    private enum Kind { TEXT, VARIABLE, BLOCK, COMMENT, RAW }

    /** A piece of the template: text, or a tag with its whitespace signs ('-', '+' or 0) and body range. */
    private record Segment(Kind kind, int start, int end, char left, char right, int bodyStart, int bodyEnd) {
    }

    /** transformers' chat environment: {@code trim_blocks}, {@code lstrip_blocks}, no {@code keep_trailing_newline}. */
    static JinjaSource rewrite(String template) {
        return rewrite(template, true, false);
    }

    /**
     * The rewrite for an environment with jinja2's {@code trim_blocks} and {@code lstrip_blocks} both set to
     * {@code blockWhitespace} and {@code keep_trailing_newline} as given.
     */
    static JinjaSource rewrite(String template, boolean blockWhitespace, boolean keepTrailingNewline) {
        String s = template.replace("\r\n", "\n").replace('\r', '\n');
        if (!keepTrailingNewline && s.endsWith("\n")) {
            s = s.substring(0, s.length() - 1);
        }
        List<Segment> segments = lex(s);
        Map<Integer, Integer> loopOf = loopElses(s, segments);
        Output out = new Output(s);
        for (int k = 0; k < segments.size(); k++) {
            Segment seg = segments.get(k);
            switch (seg.kind) {
                case TEXT -> {
                    Segment prev = k > 0 ? segments.get(k - 1) : null;
                    Segment next = k + 1 < segments.size() ? segments.get(k + 1) : null;
                    int a = seg.start;
                    int b = seg.end;
                    boolean lineStarting = prev == null;
                    if (prev != null && prev.kind != Kind.RAW && prev.right == '-') {
                        while (a < b && PythonStrings.isSpace(s.charAt(a))) {
                            a++;
                        }
                        lineStarting = a > seg.start && s.charAt(a - 1) == '\n';
                    } else if (blockWhitespace && prev != null && isBlockLike(prev) && prev.right != '+' && s.charAt(a) == '\n') {
                        a++;
                        lineStarting = true;
                    }
                    if (next != null && next.left == '-') {
                        while (b > a && PythonStrings.isSpace(s.charAt(b - 1))) {
                            b--;
                        }
                    } else if (blockWhitespace && next != null && isBlockLike(next) && next.left != '+') {
                        int nl = s.lastIndexOf('\n', b - 1);
                        int lineStart = nl >= a ? nl + 1 : lineStarting ? a : -1;
                        if (lineStart >= 0 && onlySpacesOrTabs(s, lineStart, b)) {
                            b = lineStart;
                        }
                    }
                    out.drop(seg.start, a);
                    out.copy(a, b);
                    out.drop(b, seg.end);
                }
                case VARIABLE -> out.tag("{{" + body(s, seg) + "}}", seg.start, seg.end);
                case BLOCK -> out.tag(block(s, seg, k, loopOf), seg.start, seg.end);
                case COMMENT -> out.drop(seg.start, seg.end);   // its only other effect, on whitespace, is done
                case RAW -> {
                    out.tag("{% raw %}", 0, 0);
                    out.drop(seg.start, seg.bodyStart);
                    out.copy(seg.bodyStart, seg.bodyEnd);
                    out.tag("{% endraw %}", 0, 0);
                    out.drop(seg.bodyEnd, seg.end);
                }
            }
        }
        return out.finish();
    }

    /** The first word of a block tag's body ("for", "endfor", "else", ...). */
    private static String keyword(String s, Segment seg) {
        String body = s.substring(seg.bodyStart, seg.bodyEnd).strip();
        int end = 0;
        while (end < body.length() && (Character.isLetterOrDigit(body.charAt(end)) || body.charAt(end) == '_')) {
            end++;
        }
        return body.substring(0, end);
    }

    /**
     * For each loop with an {@code else}: the loop's {@code for}, its {@code else} and its {@code endfor} segment
     * indices, each mapped to the index of the {@code for}. Ifs are tracked too, since their {@code else} is theirs.
     */
    private static Map<Integer, Integer> loopElses(String s, List<Segment> segments) {
        Map<Integer, Integer> out = new HashMap<>();
        List<int[]> stack = new ArrayList<>();   // {segment index, 1 for a loop / 0 for an if, else index or -1}
        for (int k = 0; k < segments.size(); k++) {
            Segment seg = segments.get(k);
            if (seg.kind != Kind.BLOCK) {
                continue;
            }
            switch (keyword(s, seg)) {
                case "for" -> stack.add(new int[] {k, 1, -1});
                case "if" -> stack.add(new int[] {k, 0, -1});
                case "else" -> {
                    if (!stack.isEmpty() && stack.getLast()[1] == 1) {
                        stack.getLast()[2] = k;
                    }
                }
                case "endfor", "endif" -> {
                    if (!stack.isEmpty()) {
                        int[] top = stack.removeLast();
                        if (top[1] == 1 && top[2] >= 0) {
                            out.put(top[0], top[0]);
                            out.put(top[2], top[0]);
                            out.put(k, top[0]);
                        }
                    }
                }
                default -> {
                }
            }
        }
        return out;
    }

    private static final java.util.regex.Pattern FOR = java.util.regex.Pattern.compile(
            "\\s*for\\s+([A-Za-z_][A-Za-z0-9_]*(?:\\s*,\\s*[A-Za-z_][A-Za-z0-9_]*)*)\\s+in\\s+(.*)", java.util.regex.Pattern.DOTALL);

    /** A block tag as Jinjava gets it, with loop {@code else} and loop filters rewritten. */
    private static String block(String s, Segment seg, int k, Map<Integer, Integer> loopOf) {
        String body = body(s, seg);
        String word = keyword(s, seg);
        String ran = "__mergelab_loop" + k;
        StringBuilder b = new StringBuilder();
        if (word.equals("for")) {
            java.util.regex.Matcher m = FOR.matcher(body);
            String filter = m.matches() ? topLevelIf(m.group(2)) : null;
            if (filter != null) {
                // {% for x in items if cond %}: collect the items that pass, then loop over them
                String target = m.group(1).strip();
                String items = m.group(2).substring(0, m.group(2).length() - filter.length());
                String cond = filter.strip().substring(2);
                String kept = "__mergelab_kept" + k;
                String item = target.contains(",") ? "[" + target + "]" : target;
                b.append("{% set ").append(kept).append(" = namespace(items=[]) %}{% for ").append(target).append(" in ")
                        .append(items).append(" %}{% if ").append(cond).append(" %}{% set ").append(kept).append(".items = ")
                        .append(kept).append(".items + [").append(item).append("] %}{% endif %}{% endfor %}");
                body = " for " + target + " in " + kept + ".items ";
            }
            if (loopOf.containsKey(k)) {
                b.append("{% set ").append(ran).append(" = namespace(ran=false) %}");
                b.append("{%").append(body).append("%}{% set ").append(ran).append(".ran = true %}");
                return b.toString();
            }
            return b.append("{%").append(body).append("%}").toString();
        }
        Integer loop = loopOf.get(k);
        if (loop != null && word.equals("else")) {
            return "{% endfor %}{% if not __mergelab_loop" + loop + ".ran %}";
        }
        if (loop != null && word.equals("endfor")) {
            return "{% endif %}";
        }
        return "{%" + body + "%}";
    }

    /** The trailing {@code if ...} of a loop's iterable expression (outside brackets and literals), or null. */
    private static String topLevelIf(String expr) {
        List<Token> t = tokens(expr);
        int depth = 0;
        int offset = 0;
        for (Token tok : t) {
            if (tok.type == T.OP && "([{".contains(tok.text)) {
                depth++;
            } else if (tok.type == T.OP && ")]}".contains(tok.text)) {
                depth--;
            } else if (depth == 0 && tok.is("if")) {
                return expr.substring(offset);
            }
            offset += tok.type == T.STRING ? requote(tok.text).length() : tok.text.length();
        }
        return null;
    }

    private static boolean isBlockLike(Segment seg) {
        return seg.kind == Kind.BLOCK || seg.kind == Kind.COMMENT || seg.kind == Kind.RAW;
    }

    private static boolean onlySpacesOrTabs(String s, int from, int to) {
        for (int i = from; i < to; i++) {
            if (s.charAt(i) != ' ' && s.charAt(i) != '\t') {
                return false;
            }
        }
        return true;
    }

    private static List<Segment> lex(String s) {
        List<Segment> out = new ArrayList<>();
        int i = 0;
        int n = s.length();
        int textStart = 0;
        while (i < n - 1) {
            char c = s.charAt(i);
            char d = s.charAt(i + 1);
            if (c != '{' || (d != '{' && d != '%' && d != '#')) {
                i++;
                continue;
            }
            if (i > textStart) {
                out.add(new Segment(Kind.TEXT, textStart, i, (char) 0, (char) 0, 0, 0));
            }
            int bodyStart = i + 2;
            char left = bodyStart < n && (s.charAt(bodyStart) == '-' || s.charAt(bodyStart) == '+') ? s.charAt(bodyStart) : 0;
            if (left != 0) {
                bodyStart++;
            }
            int closeAt;
            if (d == '#') {
                closeAt = s.indexOf("#}", bodyStart);
            } else {
                closeAt = closer(s, bodyStart, d == '{' ? '}' : '%');
            }
            if (closeAt < 0) {
                // unclosed: hand the rest to Jinjava as it is, which reports it
                out.add(new Segment(Kind.TEXT, i, n, (char) 0, (char) 0, 0, 0));
                return out;
            }
            int bodyEnd = closeAt;
            char right = bodyEnd > bodyStart && (s.charAt(bodyEnd - 1) == '-' || s.charAt(bodyEnd - 1) == '+') ? s.charAt(bodyEnd - 1) : 0;
            if (right != 0) {
                bodyEnd--;
            }
            int end = closeAt + 2;
            Kind kind = d == '{' ? Kind.VARIABLE : d == '%' ? Kind.BLOCK : Kind.COMMENT;
            if (kind == Kind.BLOCK && s.substring(bodyStart, bodyEnd).strip().equals("raw")) {
                int[] endRaw = findEndRaw(s, end);
                if (endRaw != null) {
                    out.add(new Segment(Kind.RAW, i, endRaw[1], left, endRaw[2] == 0 ? 0 : (char) endRaw[2], end, endRaw[0]));
                    i = endRaw[1];
                    textStart = i;
                    continue;
                }
            }
            out.add(new Segment(kind, i, end, left, right, bodyStart, bodyEnd));
            i = end;
            textStart = i;
        }
        if (textStart < n) {
            out.add(new Segment(Kind.TEXT, textStart, n, (char) 0, (char) 0, 0, 0));
        }
        return out;
    }

    /** {start of the endraw tag, its end, its right sign}, or null. */
    private static int[] findEndRaw(String s, int from) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\\{%[-+]?\\s*endraw\\s*([-+]?)%}").matcher(s);
        if (!m.find(from)) {
            return null;
        }
        return new int[] {m.start(), m.end(), m.group(1).isEmpty() ? 0 : m.group(1).charAt(0)};
    }

    /**
     * The index of the closing {@code }}} or {@code %}} (its first character), skipping string literals and, as
     * jinja2's lexer does, braces opened inside the tag (a dict literal's {@code }}} does not close it); -1 if none.
     */
    private static int closer(String s, int from, char first) {
        int i = from;
        int n = s.length();
        int depth = 0;
        while (i < n - 1) {
            char c = s.charAt(i);
            if (c == '\'' || c == '"') {
                i = literalEnd(s, i);
                continue;
            }
            if (c == first && s.charAt(i + 1) == '}' && depth == 0) {
                return i;
            }
            if (c == '{' || c == '(' || c == '[') {
                depth++;
            } else if ((c == '}' || c == ')' || c == ']') && depth > 0) {
                depth--;
            }
            i++;
        }
        return -1;
    }

    /** The index just past the literal that starts at {@code start} (its quote), or the end of the text. */
    private static int literalEnd(String s, int start) {
        char q = s.charAt(start);
        int i = start + 1;
        while (i < s.length()) {
            char c = s.charAt(i);
            if (c == '\\') {
                i += 2;
                continue;
            }
            if (c == q) {
                return i + 1;
            }
            i++;
        }
        return s.length();
    }

    // ---- inside tags ----

    private enum T { SPACE, STRING, NAME, NUMBER, OP }

    private record Token(T type, String text) {
        boolean is(String op) {
            return (type == T.OP || type == T.NAME) && text.equals(op);
        }
    }

    private static String body(String s, Segment seg) {
        List<Token> tokens = tokens(s.substring(seg.bodyStart, seg.bodyEnd));
        tokens = reverseSlices(tokens);
        tokens = groupNotIs(tokens);
        tokens = parenthesiseKeywordValues(tokens);
        StringBuilder b = new StringBuilder();
        for (Token t : tokens) {
            if (t.is("}") && !b.isEmpty() && b.charAt(b.length() - 1) == '}') {
                b.append(' ');   // Jinjava's scanner would end the tag at a nested dict's "}}"
            }
            b.append(t.type == T.STRING ? requote(t.text) : t.text);
        }
        if (!b.isEmpty() && b.charAt(b.length() - 1) == '}') {
            b.append(' ');   // nor may the body's last brace run into the tag's closing "}}"
        }
        return b.toString();
    }

    private static List<Token> tokens(String body) {
        List<Token> out = new ArrayList<>();
        int i = 0;
        int n = body.length();
        while (i < n) {
            char c = body.charAt(i);
            int j = i + 1;
            if (Character.isWhitespace(c)) {
                while (j < n && Character.isWhitespace(body.charAt(j))) {
                    j++;
                }
                out.add(new Token(T.SPACE, body.substring(i, j)));
            } else if (c == '\'' || c == '"') {
                j = literalEnd(body, i);
                if (j - i < 2 || body.charAt(j - 1) != c) {
                    out.add(new Token(T.OP, body.substring(i)));   // unterminated: the parser reports it
                    return out;
                }
                out.add(new Token(T.STRING, pythonUnescape(body.substring(i + 1, j - 1))));
            } else if (Character.isLetter(c) || c == '_') {
                while (j < n && (Character.isLetterOrDigit(body.charAt(j)) || body.charAt(j) == '_')) {
                    j++;
                }
                out.add(new Token(T.NAME, body.substring(i, j)));
            } else if (Character.isDigit(c)) {
                while (j < n && (Character.isLetterOrDigit(body.charAt(j)) || body.charAt(j) == '.' || body.charAt(j) == '_')) {
                    j++;
                }
                out.add(new Token(T.NUMBER, body.substring(i, j)));
            } else {
                String two = i + 1 < n ? body.substring(i, i + 2) : "";
                if (List.of("==", "!=", "<=", ">=", "//", "**").contains(two)) {
                    j = i + 2;
                }
                out.add(new Token(T.OP, body.substring(i, j)));
            }
            i = j;
        }
        return out;
    }

    /** Index of the next token that is not a space, from {@code i}; size() if none. */
    private static int skip(List<Token> t, int i) {
        while (i < t.size() && t.get(i).type == T.SPACE) {
            i++;
        }
        return i;
    }

    private static List<Token> reverseSlices(List<Token> t) {
        List<Token> out = new ArrayList<>();
        for (int i = 0; i < t.size(); i++) {
            if (t.get(i).is("[")) {
                int a = skip(t, i + 1);
                int b = a < t.size() && t.get(a).is(":") ? skip(t, a + 1) : -1;
                int c = b >= 0 && b < t.size() && t.get(b).is(":") ? skip(t, b + 1) : -1;
                int d = c >= 0 && c < t.size() && t.get(c).is("-") ? skip(t, c + 1) : -1;
                int e = d >= 0 && d < t.size() && t.get(d).text.equals("1") ? skip(t, d + 1) : -1;
                if (e >= 0 && e < t.size() && t.get(e).is("]")) {
                    out.add(new Token(T.OP, "|"));
                    out.add(new Token(T.NAME, "reverse"));
                    i = e;
                    continue;
                }
            }
            out.add(t.get(i));
        }
        return out;
    }

    /** {@code not a.b['c'] is [not] test[(args)]} becomes {@code not (a.b['c'] is [not] test[(args)])}. */
    private static List<Token> groupNotIs(List<Token> t) {
        List<Token> out = new ArrayList<>();
        for (int i = 0; i < t.size(); i++) {
            if (t.get(i).is("not")) {
                int end = operandEnd(t, skip(t, i + 1));
                int is = end > 0 ? skip(t, end) : -1;
                if (is > 0 && is < t.size() && t.get(is).is("is")) {
                    int test = skip(t, is + 1);
                    if (test < t.size() && t.get(test).is("not")) {
                        test = skip(t, test + 1);
                    }
                    if (test < t.size() && t.get(test).type == T.NAME) {
                        int last = test + 1;
                        int open = skip(t, last);
                        if (open < t.size() && t.get(open).is("(")) {
                            last = matching(t, open) + 1;
                        }
                        out.add(t.get(i));
                        out.add(new Token(T.SPACE, " "));
                        out.add(new Token(T.OP, "("));
                        out.addAll(t.subList(skip(t, i + 1), last));
                        out.add(new Token(T.OP, ")"));
                        i = last - 1;
                        continue;
                    }
                }
            }
            out.add(t.get(i));
        }
        return out;
    }

    /** The end of a name with attribute and subscript accesses starting at {@code i}; -1 if none starts there. */
    private static int operandEnd(List<Token> t, int i) {
        if (i >= t.size() || t.get(i).type != T.NAME || t.get(i).is("not")) {
            return -1;
        }
        int j = i + 1;
        while (j < t.size()) {
            if (t.get(j).is(".") && j + 1 < t.size() && t.get(j + 1).type == T.NAME) {
                j += 2;
            } else if (t.get(j).is("[")) {
                int close = matching(t, j);
                if (close < 0) {
                    return -1;
                }
                j = close + 1;
            } else {
                break;
            }
        }
        return j;
    }

    /** The index of the bracket closing the one at {@code open}, or -1. */
    private static int matching(List<Token> t, int open) {
        int depth = 0;
        for (int j = open; j < t.size(); j++) {
            String x = t.get(j).type == T.OP ? t.get(j).text : "";
            if (x.equals("(") || x.equals("[") || x.equals("{")) {
                depth++;
            } else if (x.equals(")") || x.equals("]") || x.equals("}")) {
                depth--;
                if (depth == 0) {
                    return j;
                }
            }
        }
        return -1;
    }

    /** In a call, {@code name=value} becomes {@code name=(value)}. */
    private static List<Token> parenthesiseKeywordValues(List<Token> t) {
        List<Token> out = new ArrayList<>();
        // per open bracket: whether it is a call's parenthesis, and whether a keyword value is open in it
        List<boolean[]> stack = new ArrayList<>();
        Token previous = null;
        for (int i = 0; i < t.size(); i++) {
            Token tok = t.get(i);
            if (tok.type == T.OP && (tok.text.equals("(") || tok.text.equals("[") || tok.text.equals("{"))) {
                boolean call = tok.text.equals("(") && previous != null
                        && (previous.type == T.NAME || previous.is(")") || previous.is("]"));
                stack.add(new boolean[] {call, false});
                out.add(tok);
            } else if (tok.type == T.OP && (tok.text.equals(")") || tok.text.equals("]") || tok.text.equals("}"))) {
                if (!stack.isEmpty()) {
                    boolean[] top = stack.removeLast();
                    if (top[1]) {
                        out.add(new Token(T.OP, ")"));
                    }
                }
                out.add(tok);
            } else if (tok.is(",") && !stack.isEmpty() && stack.getLast()[1]) {
                out.add(new Token(T.OP, ")"));
                stack.getLast()[1] = false;
                out.add(tok);
            } else if (tok.is("=") && !stack.isEmpty() && stack.getLast()[0] && !stack.getLast()[1]
                    && previous != null && previous.type == T.NAME) {
                out.add(tok);
                out.add(new Token(T.OP, "("));
                stack.getLast()[1] = true;
            } else {
                out.add(tok);
            }
            if (tok.type != T.SPACE) {
                previous = tok;
            }
        }
        return out;
    }

    /** A Jinjava literal whose value is exactly {@code value}: single quotes, with ' and \ escaped. */
    private static String requote(String value) {
        StringBuilder b = new StringBuilder(value.length() + 2).append('\'');
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '\'' || c == '\\') {
                b.append('\\');
            }
            b.append(c);
        }
        return b.append('\'').toString();
    }

    /**
     * Python's {@code unicode-escape} decoding as jinja2 applies it to a literal's body: the known escapes
     * become their characters; an unknown one keeps its backslash.
     */
    static String pythonUnescape(String body) {
        StringBuilder b = new StringBuilder(body.length());
        int i = 0;
        int n = body.length();
        while (i < n) {
            char c = body.charAt(i);
            if (c != '\\' || i + 1 >= n) {
                b.append(c);
                i++;
                continue;
            }
            char e = body.charAt(i + 1);
            switch (e) {
                case '\n' -> i += 2;   // a backslash-newline is a line continuation
                case '\\', '\'', '"' -> { b.append(e); i += 2; }
                case 'n' -> { b.append('\n'); i += 2; }
                case 't' -> { b.append('\t'); i += 2; }
                case 'r' -> { b.append('\r'); i += 2; }
                case 'a' -> { b.append('\u0007'); i += 2; }
                case 'b' -> { b.append('\b'); i += 2; }
                case 'f' -> { b.append('\f'); i += 2; }
                case 'v' -> { b.append('\u000b'); i += 2; }
                case 'x', 'u', 'U' -> {
                    int digits = e == 'x' ? 2 : e == 'u' ? 4 : 8;
                    int cp = hex(body, i + 2, digits);
                    if (cp < 0) {
                        b.append(c);   // malformed: Python would refuse the template; keep the text
                        i++;
                    } else {
                        b.appendCodePoint(cp);
                        i += 2 + digits;
                    }
                }
                default -> {
                    if (e >= '0' && e <= '7') {
                        int j = i + 1;
                        int v = 0;
                        while (j < n && j < i + 4 && body.charAt(j) >= '0' && body.charAt(j) <= '7') {
                            v = v * 8 + (body.charAt(j) - '0');
                            j++;
                        }
                        b.append((char) v);
                        i = j;
                    } else {
                        b.append(c);   // unknown escape: the backslash stays
                        i++;
                    }
                }
            }
        }
        return b.toString();
    }

    private static int hex(String s, int from, int digits) {
        if (from + digits > s.length()) {
            return -1;
        }
        int v = 0;
        for (int k = 0; k < digits; k++) {
            int d = Character.digit(s.charAt(from + k), 16);
            if (d < 0) {
                return -1;
            }
            v = v * 16 + d;
        }
        return v <= Character.MAX_CODE_POINT ? v : -1;
    }

    /**
     * The rewritten text, built so that Jinjava numbers its lines as the template does: whitespace stripped by
     * whitespace control and dropped comments leave their newlines behind in an empty comment, and a tag whose
     * string literals hold newlines (which Jinjava does not count) is followed by a comment holding as many.
     */
    private static final class Output {
        private final String source;
        private final StringBuilder text = new StringBuilder();

        Output(String source) {
            this.source = source;
        }

        void copy(int from, int to) {
            text.append(source, from, to);
        }

        /** Leaves out {@code source[from, to)} but keeps its line count. */
        void drop(int from, int to) {
            newlines(count(source, from, to));
        }

        /** Appends {@code tag}, written for the template's tag at {@code source[from, to)}. */
        void tag(String tag, int from, int to) {
            text.append(tag);
            int inLiterals = 0;
            for (int i = from; i < to; ) {
                char c = source.charAt(i);
                if (c == '\'' || c == '"') {
                    int end = literalEnd(source, i);
                    inLiterals += count(source, i, Math.min(end, to));
                    i = end;
                } else {
                    i++;
                }
            }
            newlines(inLiterals);
        }

        private void newlines(int n) {
            if (n > 0) {
                text.append("{#").append("\n".repeat(n)).append("#}");
            }
        }

        private static int count(String s, int from, int to) {
            int n = 0;
            for (int i = from; i < to; i++) {
                if (s.charAt(i) == '\n') {
                    n++;
                }
            }
            return n;
        }

        JinjaSource finish() {
            return new JinjaSource(text.toString());
        }
    }
}
