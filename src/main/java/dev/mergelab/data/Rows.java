package dev.mergelab.data;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.csv.CsvMapper;
import com.fasterxml.jackson.dataformat.csv.CsvSchema;
import dev.mergelab.MergeLabException;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One local data file as rows, each a map from column name to value in column order. Values keep their JSON
 * types (String, Integer/Long, Double, Boolean, List, Map, null) as the Hugging Face {@code datasets} JSON
 * loader gives them; CSV cells are strings, as {@code datasets}' CSV loader gives them only after pandas'
 * type inference, so a CSV holds text columns best. Errors are one line naming the file and the position.
 */
public final class Rows {

    private static final ObjectMapper JSON = new ObjectMapper();

    private Rows() {
    }

    /** The file formats {@link #read} knows, by extension. */
    public static final List<String> EXTENSIONS = List.of("jsonl", "json", "csv", "parquet");

    public static List<Map<String, Object>> read(Path file) {
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        if (!Files.isRegularFile(file)) {
            throw MergeLabException.input(file + ": no such data file", null);
        }
        try {
            if (name.endsWith(".jsonl")) {
                return jsonLines(file);
            }
            if (name.endsWith(".json")) {
                return json(file);
            }
            if (name.endsWith(".csv")) {
                return csv(file);
            }
        } catch (IOException e) {
            throw MergeLabException.input(file + ": cannot read: " + e.getMessage(), null);
        }
        if (name.endsWith(".parquet")) {
            return ParquetRows.read(file);
        }
        throw MergeLabException.input(file + ": unknown data format; give a .jsonl, .json, .csv or .parquet file", null);
    }

    private static List<Map<String, Object>> jsonLines(Path file) throws IOException {
        List<Map<String, Object>> rows = new ArrayList<>();
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            int number = 0;
            while ((line = in.readLine()) != null) {
                number++;
                if (line.isBlank()) {
                    continue;
                }
                JsonNode node;
                try {
                    node = JSON.readTree(line);
                } catch (JsonProcessingException e) {
                    throw MergeLabException.input(file + ":" + number + ": not valid JSON: " + e.getOriginalMessage(), null);
                }
                rows.add(row(node, file + ":" + number));
            }
        }
        return rows;
    }

    private static List<Map<String, Object>> json(Path file) throws IOException {
        JsonNode root;
        try {
            root = JSON.readTree(file.toFile());
        } catch (JsonProcessingException e) {
            var loc = e.getLocation();
            throw MergeLabException.input(file + (loc == null ? "" : ":" + loc.getLineNr() + ":" + loc.getColumnNr())
                    + ": not valid JSON: " + e.getOriginalMessage(), null);
        }
        if (root != null && root.isObject() && root.has("data")) {
            root = root.get("data");
        }
        if (root == null || !root.isArray()) {
            throw MergeLabException.input(file + ": a JSON data file holds a list of rows or {\"data\": [rows]}", null);
        }
        List<Map<String, Object>> rows = new ArrayList<>(root.size());
        for (int i = 0; i < root.size(); i++) {
            rows.add(row(root.get(i), file + ": row " + i));
        }
        return rows;
    }

    private static List<Map<String, Object>> csv(Path file) throws IOException {
        CsvMapper mapper = new CsvMapper();
        CsvSchema schema = CsvSchema.emptySchema().withHeader();
        List<Map<String, Object>> rows = new ArrayList<>();
        try (MappingIterator<Map<String, String>> it = mapper.readerFor(Map.class).with(schema).readValues(file.toFile())) {
            while (it.hasNextValue()) {
                Map<String, String> r;
                try {
                    r = it.nextValue();
                } catch (RuntimeException | IOException e) {
                    throw MergeLabException.input(file + ":" + it.getCurrentLocation().getLineNr() + ": bad CSV row: "
                            + e.getMessage().lines().findFirst().orElse(""), null);
                }
                rows.add(new LinkedHashMap<>(r));
            }
        }
        return rows;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> row(JsonNode node, String where) {
        if (node == null || !node.isObject()) {
            throw MergeLabException.input(where + ": a row must be a JSON object of columns", null);
        }
        return (Map<String, Object>) value(node);
    }

    /** Plain Java values: objects keep their key order, whole numbers are Integer or Long. */
    static Object value(JsonNode n) {
        return switch (n.getNodeType()) {
            case OBJECT -> {
                Map<String, Object> m = new LinkedHashMap<>();
                n.properties().forEach(e -> m.put(e.getKey(), value(e.getValue())));
                yield m;
            }
            case ARRAY -> {
                List<Object> l = new ArrayList<>(n.size());
                n.forEach(c -> l.add(value(c)));
                yield l;
            }
            case STRING -> n.textValue();
            case NUMBER -> n.isIntegralNumber() ? (n.canConvertToInt() ? (Object) n.intValue() : (Object) n.longValue()) : (Object) n.doubleValue();
            case BOOLEAN -> n.booleanValue();
            default -> null;
        };
    }
}
