package dev.mergelab.tokenizer;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** A token-to-id map read from a JSON object, with the reverse lookup. */
final class Vocab {
    final Map<String, Integer> ids;
    private final String[] dense;
    private final Map<Integer, String> sparse;

    Vocab(Map<String, Integer> ids) {
        this.ids = ids;
        int max = -1;
        for (int id : ids.values()) {
            max = Math.max(max, id);
        }
        // A dense array only when ids are not spread far beyond the token count (the file is untrusted).
        if (max < 2L * ids.size() + 1024) {
            dense = new String[max + 1];
            sparse = null;
            ids.forEach((t, id) -> {
                if (dense[id] == null || dense[id].compareTo(t) > 0) {
                    dense[id] = t;
                }
            });
        } else {
            dense = null;
            sparse = new HashMap<>();
            ids.forEach((t, id) -> sparse.merge(id, t, (a, b) -> a.compareTo(b) <= 0 ? a : b));
        }
    }

    static Vocab parse(JsonField f) {
        List<Map.Entry<String, JsonField>> entries = f.entries();
        Map<String, Integer> ids = new HashMap<>(entries.size() * 2);
        for (Map.Entry<String, JsonField> e : entries) {
            ids.put(e.getKey(), e.getValue().index());
        }
        return new Vocab(ids);
    }

    int id(String token) {
        Integer id = ids.get(token);
        return id == null ? -1 : id;
    }

    String token(int id) {
        if (dense != null) {
            return id >= 0 && id < dense.length ? dense[id] : null;
        }
        return sparse.get(id);
    }

    int size() {
        return ids.size();
    }
}
