package dev.mergelab.method;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Locale;

/**
 * The JSON form of the method catalogue ({@code mergelab methods --json}): every method with its base
 * requirement, randomness, paper and parameters. Rendered here, beside the specs, so the CLI and a web view
 * print the same thing.
 */
public final class MethodsJson {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private MethodsJson() {
    }

    /** Every registered method, indented. */
    public static String render() {
        ArrayNode arr = MAPPER.createArrayNode();
        for (MergeMethod mm : MethodRegistry.all()) {
            MethodSpec s = mm.spec();
            ObjectNode o = arr.addObject();
            o.put("name", s.name());
            o.put("description", s.description());
            o.put("base", lower(s.base()));
            o.put("random", s.random());
            o.put("paper", s.paper());
            o.put("paper_url", s.paperUrl());
            ArrayNode ps = o.putArray("parameters");
            for (ParamSpec p : s.params()) {
                ObjectNode po = ps.addObject();
                po.put("name", p.name());
                po.put("scope", lower(p.scope()));
                po.put("type", lower(p.type()));
                po.put("required", p.required());
                po.putPOJO("default", p.defaultValue());
                po.put("doc", p.doc());
            }
        }
        try {
            return MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(arr);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("the method catalogue always serialises", e);
        }
    }

    private static String lower(Enum<?> e) {
        return e.name().toLowerCase(Locale.ROOT);
    }
}
