package dev.mergelab.tokenizer;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** The post-processors of tokenizer.json, read from their JSON objects. */
final class PostProcessors {

    private PostProcessors() {
    }

    /** Null when the field is null (no post-processor). */
    static PostProcessor parse(JsonField f) {
        if (f.isNull()) {
            return null;
        }
        String type = f.type();
        return switch (type) {
            case "ByteLevel" -> (seqs, special) -> seqs; // it only adjusts offsets
            case "TemplateProcessing" -> template(f);
            case "BertProcessing" -> {
                int cls = idOfPair(f.get("cls"));
                int sep = idOfPair(f.get("sep"));
                yield (seqs, special) -> !special ? seqs : seqs.size() == 1
                        ? List.of(concat(new int[] {cls}, seqs.get(0), new int[] {sep}))
                        : List.of(concat(new int[] {cls}, seqs.get(0), new int[] {sep}, seqs.get(1), new int[] {sep}));
            }
            case "RobertaProcessing" -> {
                int cls = idOfPair(f.get("cls"));
                int sep = idOfPair(f.get("sep"));
                yield (seqs, special) -> !special ? seqs : seqs.size() == 1
                        ? List.of(concat(new int[] {cls}, seqs.get(0), new int[] {sep}))
                        : List.of(concat(new int[] {cls}, seqs.get(0), new int[] {sep, sep}, seqs.get(1),
                                new int[] {sep}));
            }
            case "Sequence" -> {
                List<PostProcessor> steps = new ArrayList<>();
                for (JsonField p : f.get("processors").array()) {
                    PostProcessor step = parse(p);
                    if (step == null) {
                        throw p.error("is null inside a Sequence");
                    }
                    steps.add(step);
                }
                yield (seqs, special) -> {
                    for (PostProcessor step : steps) {
                        seqs = step.process(seqs, special);
                    }
                    return seqs;
                };
            }
            default -> throw f.get("type").error("is " + Text.quoted(type)
                    + ", a post-processor this reader does not implement (TemplateProcessing, ByteLevel,"
                    + " RobertaProcessing, BertProcessing, Sequence)");
        };
    }

    /** {@code ["[CLS]", 101]}: the id of a (token, id) pair. */
    private static int idOfPair(JsonField f) {
        List<JsonField> pair = f.array();
        if (pair.size() != 2) {
            throw f.error("is not a [token, id] pair");
        }
        pair.get(0).string();
        return pair.get(1).index();
    }

    private static PostProcessor template(JsonField f) {
        Map<String, int[]> specials = new HashMap<>();
        JsonField st = f.get("special_tokens");
        if (!st.isNull()) {
            for (Map.Entry<String, JsonField> e : st.entries()) {
                List<JsonField> ids = e.getValue().get("ids").array();
                int[] a = new int[ids.size()];
                for (int i = 0; i < a.length; i++) {
                    a[i] = ids.get(i).index();
                }
                specials.put(e.getKey(), a);
            }
        }
        List<Object> single = templateOf(f.get("single"), specials, false);
        List<Object> pair = f.get("pair").isNull() ? null : templateOf(f.get("pair"), specials, true);
        return (seqs, special) -> {
            List<Object> t = seqs.size() == 1 ? single : pair;
            if (t == null) {
                throw f.get("pair").error("is missing, so this tokenizer cannot encode a pair");
            }
            List<int[]> parts = new ArrayList<>();
            for (Object piece : t) {
                if (piece instanceof int[] ids) {
                    if (special) {
                        parts.add(ids);
                    }
                } else {
                    parts.add(seqs.get((Integer) piece));
                }
            }
            return List.of(concat(parts.toArray(new int[0][])));
        };
    }

    /** Each element is an int[] of special ids or an Integer naming sequence A (0) or B (1). */
    private static List<Object> templateOf(JsonField f, Map<String, int[]> specials, boolean pair) {
        List<Object> out = new ArrayList<>();
        for (JsonField piece : f.array()) {
            if (piece.has("SpecialToken")) {
                JsonField id = piece.get("SpecialToken").get("id");
                int[] ids = specials.get(id.string());
                if (ids == null) {
                    throw id.error("names " + Text.quoted(id.string()) + ", which special_tokens does not define");
                }
                out.add(ids);
            } else if (piece.has("Sequence")) {
                String which = piece.get("Sequence").get("id").oneOf(null, "A", "B");
                if (which.equals("B") && !pair) {
                    throw piece.error("uses sequence B in the single-sequence template");
                }
                out.add(which.equals("A") ? 0 : 1);
            } else {
                throw piece.error("is neither a SpecialToken nor a Sequence");
            }
        }
        return out;
    }

    static int[] concat(int[]... parts) {
        int n = 0;
        for (int[] p : parts) {
            n += p.length;
        }
        int[] out = new int[n];
        int k = 0;
        for (int[] p : parts) {
            System.arraycopy(p, 0, out, k, p.length);
            k += p.length;
        }
        return out;
    }
}
