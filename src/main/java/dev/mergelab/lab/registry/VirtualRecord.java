package dev.mergelab.lab.registry;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mergelab.Version;
import dev.mergelab.engine.FileHashes;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.TreeMap;

/**
 * A child merged in memory and evaluated but never written (a soup's or a search's candidate), as the registry
 * records it: a candidate of kind {@value ModelIdentity#VIRTUAL} with no path and no files, whose content id is the
 * SHA-256 of its canonical recipe, its random seed and its parents' content ids ({@link #id()}), so the same recipe
 * on the same parents is one candidate however often it is evaluated. Built by {@link Provenance#virtual}.
 *
 * @param command    the command that evaluated it ({@code soup}, {@code search})
 * @param recipe     the canonical recipe ({@code Recipe.toYaml()})
 * @param parameters method-wide resolved parameters (JSON object), may be null
 * @param seed       the seed of the recipe's random methods
 * @param parents    its parents in recipe order, already identified
 * @param size       bytes of its tensors
 * @param dtype      the floating dtype holding most parameters, or null
 * @param seconds    the time the merge in memory took
 */
public record VirtualRecord(String command, String method, String recipe, JsonNode parameters, long seed, List<Parent> parents,
        long size, String dtype, String architecture, Instant started, double seconds) {

    public VirtualRecord {
        parents = List.copyOf(parents);
    }

    /** A parent and how it contributed (as {@link RunRecord.Parent}, with its identity computed once by the caller). */
    public record Parent(ModelIdentity identity, String relation, String method, JsonNode parameters, boolean isBase) {
    }

    /** The content id: SHA-256 of a text holding the seed, every parent's id in order, and the canonical recipe. */
    public String id() {
        StringBuilder sb = new StringBuilder("mergelab virtual candidate\nrandom_seed ").append(seed).append('\n');
        for (Parent p : parents) {
            sb.append("parent ").append(p.identity().id()).append('\n');
        }
        sb.append(recipe);
        return FileHashes.sha256(sb.toString().getBytes(StandardCharsets.UTF_8));
    }

    /** The registry's rows for it, inside the caller's transaction. */
    static Registry.Recorded insert(Connection c, VirtualRecord v) throws SQLException {
        for (Parent p : v.parents()) {
            Registry.upsert(c, p.identity());
        }
        String id = v.id();
        ModelIdentity self = new ModelIdentity(id, Path.of(""), ModelIdentity.VIRTUAL, v.size(), v.dtype(), v.architecture(), new TreeMap<>());
        if (!Registry.upsert(c, self)) {
            try (PreparedStatement s = c.prepareStatement("SELECT count(*) FROM runs WHERE candidate = ?")) {
                s.setString(1, id);
                try (ResultSet rs = s.executeQuery()) {
                    rs.next();
                    return new Registry.Recorded(id, false, -1, rs.getInt(1));
                }
            }
        }
        long run;
        try (PreparedStatement s = c.prepareStatement("INSERT INTO runs (candidate, command, method, recipe, recipe_sha256, parameters,"
                + " tool_version, host, started_at, seconds, out_path) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '') RETURNING run")) {
            s.setString(1, id);
            s.setString(2, v.command());
            s.setString(3, v.method());
            s.setString(4, v.recipe());
            s.setString(5, FileHashes.sha256(v.recipe().getBytes(StandardCharsets.UTF_8)));
            s.setString(6, v.parameters() == null ? null : v.parameters().toString());
            s.setString(7, Version.VERSION);
            s.setString(8, Host.name());
            s.setString(9, v.started().toString());
            s.setDouble(10, v.seconds());
            try (ResultSet rs = s.executeQuery()) {
                rs.next();
                run = rs.getLong(1);
            }
        }
        try (PreparedStatement s = c.prepareStatement("INSERT OR IGNORE INTO edges (child, parent, relation, method, parameters, is_base,"
                + " position) VALUES (?, ?, ?, ?, ?, ?, ?)")) {
            for (int i = 0; i < v.parents().size(); i++) {
                Parent p = v.parents().get(i);
                s.setString(1, id);
                s.setString(2, p.identity().id());
                s.setString(3, p.relation());
                s.setString(4, p.method());
                s.setString(5, p.parameters() == null ? null : p.parameters().toString());
                s.setInt(6, p.isBase() ? 1 : 0);
                s.setInt(7, i);
                s.executeUpdate();
            }
        }
        return new Registry.Recorded(id, true, run, 1);
    }
}
