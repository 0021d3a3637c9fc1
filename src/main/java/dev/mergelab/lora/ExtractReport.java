package dev.mergelab.lora;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mergelab.tensor.DType;
import java.util.Arrays;
import java.util.List;

/** The per-module reconstruction report of an extraction: a text table and {@code extraction_report.json}. */
public final class ExtractReport {

    public static final String FILE_NAME = "extraction_report.json";

    private ExtractReport() {
    }

    /**
     * Relative error is ‖Δ − scale·B·A‖_F / ‖Δ‖_F per module, measured on the factors as written (rounded to the
     * adapter's dtype), so it is the error a user of the adapter gets.
     */
    public static String table(List<LoraExtract.ModuleReport> modules) {
        StringBuilder sb = new StringBuilder(String.format("%-52s %-15s %-14s %5s %10s%n", "module", "kind", "shape", "rank", "rel.error"));
        for (LoraExtract.ModuleReport m : modules) {
            sb.append(String.format("%-52s %-15s %-14s %5s %10s%n", m.module(), m.kind(), shape(m.shape()),
                    m.rank() < 0 ? "full" : Integer.toString(m.rank()), m.rank() < 0 ? "0 (saved)" : String.format("%.3e", m.relativeError())));
        }
        return sb.toString();
    }

    /** {@code dtype}: of the written factors, which the errors were measured on. */
    public static String json(List<LoraExtract.ModuleReport> modules, String command, DType dtype) {
        ObjectNode root = AdapterJson.MAPPER.createObjectNode();
        root.put("command", command);
        root.put("dtype", dtype.torchName());
        ArrayNode arr = root.putArray("modules");
        double worst = 0;
        for (LoraExtract.ModuleReport m : modules) {
            ObjectNode o = arr.addObject();
            o.put("module", m.module());
            o.put("kind", m.kind());
            ArrayNode s = o.putArray("shape");
            Arrays.stream(m.shape()).forEach(s::add);
            if (m.rank() >= 0) {
                o.put("rank", m.rank());
                o.put("relative_error", m.relativeError());
                o.put("delta_frobenius_norm", m.deltaNorm());
                worst = Math.max(worst, m.relativeError());
            }
        }
        root.put("max_relative_error", worst);
        try {
            return AdapterJson.MAPPER.writeValueAsString(root) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String shape(long[] s) {
        return Arrays.toString(s).replace(" ", "");
    }
}
