package dev.mergelab.lab.web;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/** Escaping for HTML text, attributes and URLs: everything from the database (paths, recipes, task names) is user data. */
final class Html {

    private Html() {
    }

    /** Text or a double-quoted attribute value: {@code & < > " '} become entities. */
    static String esc(String s) {
        if (s == null) {
            return "";
        }
        StringBuilder sb = new StringBuilder(s.length() + 16);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '&' -> sb.append("&amp;");
                case '<' -> sb.append("&lt;");
                case '>' -> sb.append("&gt;");
                case '"' -> sb.append("&quot;");
                case '\'' -> sb.append("&#39;");
                default -> sb.append(c);
            }
        }
        return sb.toString();
    }

    /** A query-string value. */
    static String url(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    /** A number for a table cell: 4 significant decimals, or "-" for none. */
    static String num(Double v) {
        if (v == null) {
            return "-";
        }
        if (Double.isNaN(v) || Double.isInfinite(v)) {
            return String.valueOf(v);
        }
        double a = Math.abs(v);
        return a != 0 && (a >= 1e6 || a < 1e-3) ? String.format(Locale.ROOT, "%.4g", v) : String.format(Locale.ROOT, "%.4f", v);
    }

    /** A coordinate in SVG: two decimals, no locale. */
    static String coord(double v) {
        return String.format(Locale.ROOT, "%.2f", v);
    }

    /** A byte count for people: KB, MB, GB (powers of 1024). */
    static String bytes(long n) {
        String[] units = {"B", "KiB", "MiB", "GiB", "TiB"};
        double v = n;
        int u = 0;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return u == 0 ? n + " B" : String.format(Locale.ROOT, "%.1f %s", v, units[u]);
    }
}
