package dev.mergelab.lab.web;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A small x-y chart written as SVG: linear axes with round tick values, labelled, and series drawn as points
 * (circles with a tooltip) or as a polyline. Our own code rather than a charting library: the page needs two
 * chart types, and SVG made on the server is testable without a browser and needs no script.
 */
final class Chart {

    static final int WIDTH = 640;
    static final int HEIGHT = 360;
    private static final double LEFT = 70;
    private static final double RIGHT = 20;
    private static final double TOP = 16;
    private static final double BOTTOM = 48;

    /** A point; {@code title} is its tooltip, {@code attributes} extra SVG attributes (already escaped), e.g. data-step. */
    record Point(double x, double y, String title, String attributes) {
    }

    private record Series(String cssClass, List<Point> points, boolean line, double radius) {
    }

    private final String id;
    private final String xLabel;
    private final String yLabel;
    private final int width;
    private final int height;
    private final List<Series> series = new ArrayList<>();

    Chart(String id, String xLabel, String yLabel) {
        this(id, xLabel, yLabel, WIDTH, HEIGHT);
    }

    Chart(String id, String xLabel, String yLabel, int width, int height) {
        this.id = id;
        this.xLabel = xLabel;
        this.yLabel = yLabel;
        this.width = width;
        this.height = height;
    }

    Chart points(String cssClass, List<Point> points, double radius) {
        series.add(new Series(cssClass, points, false, radius));
        return this;
    }

    Chart line(String cssClass, List<Point> points) {
        series.add(new Series(cssClass, points, true, 0));
        return this;
    }

    String svg() {
        double[] xr = range(true);
        double[] yr = range(false);
        List<Double> xt = ticks(xr[0], xr[1]);
        List<Double> yt = ticks(yr[0], yr[1]);
        xr = new double[] {Math.min(xr[0], xt.getFirst()), Math.max(xr[1], xt.getLast())};
        yr = new double[] {Math.min(yr[0], yt.getFirst()), Math.max(yr[1], yt.getLast())};
        StringBuilder sb = new StringBuilder();
        sb.append("<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" id=\"").append(Html.esc(id)).append("\" width=\"").append(width)
                .append("\" height=\"").append(height).append("\" viewBox=\"0 0 ").append(width).append(' ').append(height).append("\">\n");
        double x0 = LEFT;
        double x1 = width - RIGHT;
        double y0 = height - BOTTOM;
        double y1 = TOP;
        sb.append("<g class=\"axes\">");
        for (double t : xt) {
            double px = sx(t, xr, x0, x1);
            sb.append("<line class=\"grid\" x1=\"").append(Html.coord(px)).append("\" y1=\"").append(Html.coord(y0)).append("\" x2=\"")
                    .append(Html.coord(px)).append("\" y2=\"").append(Html.coord(y1)).append("\"/>");
            sb.append("<text class=\"tick\" x=\"").append(Html.coord(px)).append("\" y=\"").append(Html.coord(y0 + 16))
                    .append("\" text-anchor=\"middle\">").append(Html.esc(label(t, xt))).append("</text>");
        }
        for (double t : yt) {
            double py = sy(t, yr, y0, y1);
            sb.append("<line class=\"grid\" x1=\"").append(Html.coord(x0)).append("\" y1=\"").append(Html.coord(py)).append("\" x2=\"")
                    .append(Html.coord(x1)).append("\" y2=\"").append(Html.coord(py)).append("\"/>");
            sb.append("<text class=\"tick\" x=\"").append(Html.coord(x0 - 6)).append("\" y=\"").append(Html.coord(py + 4))
                    .append("\" text-anchor=\"end\">").append(Html.esc(label(t, yt))).append("</text>");
        }
        sb.append("<rect class=\"frame\" x=\"").append(Html.coord(x0)).append("\" y=\"").append(Html.coord(y1)).append("\" width=\"")
                .append(Html.coord(x1 - x0)).append("\" height=\"").append(Html.coord(y0 - y1)).append("\"/>");
        sb.append("<text class=\"axis-label\" x=\"").append(Html.coord((x0 + x1) / 2)).append("\" y=\"").append(height - 10)
                .append("\" text-anchor=\"middle\">").append(Html.esc(xLabel)).append("</text>");
        sb.append("<text class=\"axis-label\" transform=\"translate(16,").append(Html.coord((y0 + y1) / 2))
                .append(") rotate(-90)\" text-anchor=\"middle\">").append(Html.esc(yLabel)).append("</text>");
        sb.append("</g>\n");
        for (Series s : series) {
            if (s.line()) {
                if (s.points().size() < 2) {
                    continue;
                }
                sb.append("<polyline class=\"").append(Html.esc(s.cssClass())).append("\" points=\"");
                for (Point p : s.points()) {
                    sb.append(Html.coord(sx(p.x(), xr, x0, x1))).append(',').append(Html.coord(sy(p.y(), yr, y0, y1))).append(' ');
                }
                sb.append("\"/>\n");
            } else {
                sb.append("<g class=\"").append(Html.esc(s.cssClass())).append("\">");
                for (Point p : s.points()) {
                    sb.append("<circle cx=\"").append(Html.coord(sx(p.x(), xr, x0, x1))).append("\" cy=\"").append(Html.coord(sy(p.y(), yr, y0, y1)))
                            .append("\" r=\"").append(Html.coord(s.radius())).append('"')
                            .append(p.attributes() == null ? "" : " " + p.attributes()).append("><title>").append(Html.esc(p.title()))
                            .append("</title></circle>");
                }
                sb.append("</g>\n");
            }
        }
        return sb.append("</svg>").toString();
    }

    private static double sx(double v, double[] r, double a, double b) {
        return r[1] == r[0] ? (a + b) / 2 : a + (v - r[0]) / (r[1] - r[0]) * (b - a);
    }

    private static double sy(double v, double[] r, double a, double b) {
        return sx(v, r, a, b);
    }

    private double[] range(boolean x) {
        double lo = Double.POSITIVE_INFINITY;
        double hi = Double.NEGATIVE_INFINITY;
        for (Series s : series) {
            for (Point p : s.points()) {
                double v = x ? p.x() : p.y();
                if (Double.isFinite(v)) {
                    lo = Math.min(lo, v);
                    hi = Math.max(hi, v);
                }
            }
        }
        if (lo > hi) {
            return new double[] {0, 1};
        }
        if (lo == hi) {
            double pad = lo == 0 ? 1 : Math.abs(lo) * 0.1;
            return new double[] {lo - pad, hi + pad};
        }
        return new double[] {lo, hi};
    }

    /** About five round values (1, 2 or 5 times a power of ten apart) covering [lo, hi]. */
    static List<Double> ticks(double lo, double hi) {
        double raw = (hi - lo) / 5;
        double mag = Math.pow(10, Math.floor(Math.log10(raw)));
        double step = raw / mag < 1.5 ? mag : raw / mag < 3 ? 2 * mag : raw / mag < 7 ? 5 * mag : 10 * mag;
        List<Double> out = new ArrayList<>();
        double start = Math.floor(lo / step + 1e-9) * step; // 1.2 / 0.1 is 11.999...
        for (int i = 0; i < 50; i++) {
            // k * step rounded to 12 significant digits: 3 * 0.2 is 0.6, not 0.6000000000000001
            double t = new java.math.BigDecimal(start + i * step).round(new java.math.MathContext(12)).doubleValue();
            out.add(Math.abs(t) < step * 1e-9 ? 0.0 : t);
            if (t >= hi - step * 1e-9) {
                break;
            }
        }
        return out;
    }

    private static String label(double t, List<Double> ticks) {
        double step = ticks.size() > 1 ? Math.abs(ticks.get(1) - ticks.get(0)) : 1;
        int decimals = (int) Math.max(0, Math.ceil(-Math.log10(step) - 1e-9));
        return String.format(Locale.ROOT, "%." + Math.min(decimals, 8) + "f", t);
    }
}
