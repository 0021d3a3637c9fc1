package dev.mergelab.lab.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The SVG chart (round ticks, points inside the frame, larger values higher up) and HTML escaping. */
class ChartAndHtmlTest {

    @Test
    void ticksAreRoundAndCoverTheRange() {
        assertEquals(List.of(0.0, 0.2, 0.4, 0.6, 0.8, 1.0), Chart.ticks(0, 1));
        assertEquals(List.of(1.2, 1.3, 1.4, 1.5, 1.6), Chart.ticks(1.2, 1.6).stream().map(t -> Math.round(t * 10) / 10.0).toList());
        List<Double> t = Chart.ticks(-37, 512);
        assertTrue(t.getFirst() <= -37 && t.getLast() >= 512, t.toString());
        assertEquals(100.0, t.get(1) - t.get(0), 1e-9);
    }

    @Test
    void pointsLandInsideTheFrameWithLargerValuesHigher() {
        String svg = new Chart("c", "x <label>", "y").points("dots", List.of(new Chart.Point(0, 1, "low & left", "data-step=\"0\""),
                new Chart.Point(10, 3, "high", "data-step=\"1\"")), 3).line("ln", List.of(new Chart.Point(0, 1, "", null),
                new Chart.Point(10, 3, "", null))).svg();
        Matcher m = Pattern.compile("<circle cx=\"([0-9.]+)\" cy=\"([0-9.]+)\"").matcher(svg);
        double[][] xy = new double[2][];
        for (int i = 0; i < 2; i++) {
            assertTrue(m.find());
            xy[i] = new double[] {Double.parseDouble(m.group(1)), Double.parseDouble(m.group(2))};
            assertTrue(xy[i][0] >= 0 && xy[i][0] <= Chart.WIDTH && xy[i][1] >= 0 && xy[i][1] <= Chart.HEIGHT);
        }
        assertTrue(xy[1][0] > xy[0][0] && xy[1][1] < xy[0][1], "the larger value is further right and higher up");
        assertTrue(svg.contains("<title>low &amp; left</title>") && svg.contains("x &lt;label&gt;"), svg);
        assertTrue(svg.contains("<polyline class=\"ln\""));
    }

    @Test
    void escapingCoversTextAndAttributes() {
        assertEquals("&lt;script&gt;alert(&quot;x&quot; &amp; &#39;y&#39;)&lt;/script&gt;", Html.esc("<script>alert(\"x\" & 'y')</script>"));
        assertEquals("", Html.esc(null));
        assertEquals("-", Html.num(null));
        assertEquals("0.0402", Html.num(0.04022));
        assertEquals("1.234e-05", Html.num(0.00001234));
        assertEquals("810.4 KiB", Html.bytes(829_850));
        assertFalse(LabServer.localHostHeader("localhost.evil.example:80"));
        assertTrue(LabServer.localHostHeader("LOCALHOST:8080") && LabServer.localHostHeader("[::1]:8080") && LabServer.localHostHeader("127.0.0.1"));
        assertFalse(LabServer.localHostHeader(null) || LabServer.localHostHeader("[::2]:80") || LabServer.localHostHeader("127.0.0.2"));
    }
}
