package dev.mergelab.cli;

/** Human-readable byte counts (decimal units, as disk and hub sizes are quoted). */
final class Bytes {
    private Bytes() {
    }

    static String human(long b) {
        if (b < 1000) {
            return b + " B";
        }
        String[] units = {"kB", "MB", "GB", "TB"};
        double v = b;
        int u = -1;
        while (v >= 1000 && u < units.length - 1) {
            v /= 1000;
            u++;
        }
        return String.format("%.2f %s", v, units[u]);
    }
}
