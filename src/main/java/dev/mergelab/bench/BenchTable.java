package dev.mergelab.bench;

import java.util.List;

/** Renders benchmark rows as a Markdown table (printed and appended to BENCHMARKS.md). */
public final class BenchTable {

    private BenchTable() {
    }

    public static String markdown(List<Bench.Row> rows) {
        StringBuilder sb = new StringBuilder();
        sb.append("| method | floor s (read+write) | merge s | CPU s | GB/s | ratio to floor | target | met | peak RSS MB | /dev/shm merge s | /dev/shm floor s | /dev/shm ratio |\n");
        sb.append("|---|---|---|---|---|---|---|---|---|---|---|---|\n");
        for (Bench.Row r : rows) {
            if (r.disk() == null) {
                sb.append(String.format("| %s | %.1f | failed: %s | | | | %.1fx | no | | | | |%n", r.method(), r.floor().seconds(),
                        r.error().replace("|", "/"), r.target()));
                continue;
            }
            double gbps = (r.disk().inputBytes() + r.disk().outputBytes()) / r.disk().wallSeconds() / 1e9;
            sb.append(String.format("| %s | %.1f (%.1f+%.1f) | %.1f | %.1f | %.2f | %.2fx | %.1fx | %s | %d | %s | %s | %s |%n",
                    r.method(), r.floor().seconds(), r.floor().readSeconds(), r.floor().writeSeconds(), r.disk().wallSeconds(),
                    r.disk().cpuSeconds(), gbps, r.ratio(), r.target(), r.ratio() <= r.target() ? "yes" : "no",
                    r.disk().peakRssBytes() >> 20,
                    r.shm() == null ? "-" : String.format("%.1f", r.shm().wallSeconds()),
                    r.shmFloor() == null ? "-" : String.format("%.2f", r.shmFloor().seconds()),
                    r.shm() == null ? "-" : String.format("%.1fx", r.shmRatio())));
        }
        return sb.toString();
    }
}
