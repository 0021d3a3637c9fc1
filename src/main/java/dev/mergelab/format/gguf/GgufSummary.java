package dev.mergelab.format.gguf;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mergelab.format.Untrusted;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;

/**
 * What {@code mergelab inspect FILE.gguf} prints: version, alignment, every metadata key with its type and
 * value (arrays as type, length and first items; untrusted text escaped and clipped), the tensor count per
 * ggml type, and with {@code --tensors} each tensor's ggml type and dimensions. {@link #json} gives the same
 * as JSON, arrays in full.
 */
public final class GgufSummary {

    private static final ObjectMapper JSON = new ObjectMapper();

    private GgufSummary() {
    }

    public static String text(GgufFile g, boolean withTensors) {
        GgufHeader h = g.header();
        StringBuilder sb = new StringBuilder();
        sb.append(String.format("model:        %s (GGUF v%d, %d tensors, %d metadata keys, alignment %d, data at byte %d)%n",
                Untrusted.path(g.path()), h.version(), h.tensors().size(), h.metadata().size(), h.alignment(), h.dataOffset()));
        GgufValue arch = h.metadata().get("general.architecture");
        sb.append(String.format("architecture: %s%n", arch == null || arch.type() != GgufValueType.STRING ? "unknown" : Untrusted.show(arch.asString())));
        sb.append("metadata:\n");
        h.metadata().forEach((k, v) -> sb.append(String.format("  %-44s %-4s %s%n", Untrusted.show(k),
                v.type().shortName(), Untrusted.show(v.show(8)))));
        Map<String, Integer> perType = new TreeMap<>();
        long params = 0;
        for (GgufTensor t : h.tensors()) {
            perType.merge(t.type().name(), 1, Integer::sum);
            params += t.numel();
        }
        StringBuilder types = new StringBuilder();
        perType.forEach((t, n) -> types.append(types.length() == 0 ? "" : ", ").append(t).append(' ').append(n));
        sb.append(String.format("tensors:      %d (%s)%n", h.tensors().size(), types));
        sb.append(String.format("parameters:   %,d%n", params));
        if (withTensors) {
            for (GgufTensor t : h.tensors()) {
                sb.append(String.format("  %-60s %-8s %s%n", Untrusted.show(t.name()), t.type(), Arrays.toString(t.ne())));
            }
        }
        return sb.toString();
    }

    public static String json(GgufFile g) {
        GgufHeader h = g.header();
        ObjectNode root = JSON.createObjectNode();
        root.put("format", "gguf");
        root.put("version", h.version());
        root.put("alignment", h.alignment());
        root.put("data_offset", h.dataOffset());
        ObjectNode meta = root.putObject("metadata");
        h.metadata().forEach((k, v) -> {
            ObjectNode e = meta.putObject(k);
            e.put("type", v.type().shortName());
            e.set("value", JSON.valueToTree(plain(v)));
        });
        ArrayNode tensors = root.putArray("tensors");
        for (GgufTensor t : h.tensors()) {
            ObjectNode e = tensors.addObject();
            e.put("name", t.name());
            e.put("type", t.type().name());
            ArrayNode ne = e.putArray("ne");
            for (long d : t.ne()) {
                ne.add(d);
            }
            e.put("offset", t.offset());
            e.put("bytes", t.byteSize());
        }
        return root.toString();
    }

    /** A value as plain Java (UINT64 as an unsigned BigInteger, arrays as lists) for Jackson. */
    private static Object plain(GgufValue v) {
        return switch (v.type()) {
            case UINT64 -> new java.math.BigInteger(Long.toUnsignedString(v.asLong()));
            case ARRAY -> {
                GgufArray a = v.asArray();
                java.util.List<Object> items = new java.util.ArrayList<>(a.size());
                for (int i = 0; i < a.size(); i++) {
                    items.add(plain(a.get(i)));
                }
                yield items;
            }
            default -> v.value();
        };
    }
}
