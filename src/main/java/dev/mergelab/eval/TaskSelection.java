package dev.mergelab.eval;

import dev.mergelab.MergeLabException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * What {@code --tasks} and {@code --data} name, resolved into task configs: a built-in task or group, an lm-eval task
 * {@code .yaml}, or {@code ppl:FILE} (the file as one document). Shared by {@code eval}, {@code soup} and {@code search},
 * so a task name means the same everywhere.
 */
public final class TaskSelection {

    /**
     * One {@code --tasks} entry.
     *
     * @param name    the entry as given (stripped)
     * @param configs its leaf tasks
     * @param groups  the groups it aggregates (mmlu and its categories), else empty
     * @param rows    the documents when they come with the name ({@code ppl:FILE}), else null (read through {@code --data})
     */
    public record Selected(String name, List<TaskConfig> configs, List<BuiltinTasks.Group> groups, List<Map<String, Object>> rows) {
    }

    private TaskSelection() {
    }

    /**
     * Every non-blank entry of {@code tasks}, checked: no leaf task twice, and every {@code --data} key naming a selected
     * task or one of its leaves.
     */
    public static List<Selected> selectAll(List<String> tasks, Map<String, Path> dataPaths) throws IOException {
        List<Selected> selected = new ArrayList<>();
        for (String t : tasks) {
            if (!t.isBlank()) {
                selected.add(select(t.strip()));
            }
        }
        Set<String> seen = new LinkedHashSet<>();
        for (Selected s : selected) {
            for (TaskConfig c : s.configs()) {
                if (!seen.add(c.task)) {
                    throw MergeLabException.input("task " + c.task + " is selected twice in --tasks", null);
                }
            }
        }
        Set<String> used = new LinkedHashSet<>();
        selected.forEach(s -> {
            used.add(s.name());
            s.configs().forEach(c -> used.add(c.task));
        });
        for (String key : dataPaths.keySet()) {
            if (!used.contains(key)) {
                throw MergeLabException.input("--data " + key + "=...: no task " + key + " in --tasks", null);
            }
        }
        return selected;
    }

    /** One task name: a task .yaml file, {@code ppl:FILE}, or a built-in task or group; anything else is one line. */
    public static Selected select(String name) throws IOException {
        String lower = name.toLowerCase(Locale.ROOT);
        if (lower.endsWith(".yaml") || lower.endsWith(".yml")) {
            Path file = Path.of(name);
            if (!Files.isRegularFile(file)) {
                throw MergeLabException.input("--tasks " + name + ": no such task file", null);
            }
            TaskConfig c = TaskYaml.load(file);
            return new Selected(c.task, List.of(c), List.of(), null);
        }
        if (name.startsWith("ppl:")) {
            Path file = Path.of(name.substring(4));
            if (!Files.isRegularFile(file)) {
                throw MergeLabException.input("--tasks " + name + ": no such text file " + file, null);
            }
            String text;
            try {
                text = Files.readString(file, StandardCharsets.UTF_8);
            } catch (java.nio.charset.MalformedInputException e) {
                throw MergeLabException.input(file + ": not UTF-8 text", null);
            }
            TaskConfig c = BuiltinTasks.plainText(pplTaskName(file));
            c.taskAlias = name;
            c.source = name;
            Map<String, Object> doc = new LinkedHashMap<>();
            doc.put("text", text);
            return new Selected(c.task, List.of(c), List.of(), List.of(doc));
        }
        if (BuiltinTasks.isBuiltin(name)) {
            return new Selected(name, BuiltinTasks.tasks(name), BuiltinTasks.groups(name), null);
        }
        throw MergeLabException.input("unknown task " + name + "; built-in: " + String.join(", ", BuiltinTasks.names())
                + ", or an lm-eval task .yaml file", null);
    }

    /** The task name results.json gives {@code ppl:FILE}: {@code ppl_} and the file's stem, made safe. */
    public static String pplTaskName(Path file) {
        String stem = file.getFileName().toString().replaceFirst("\\.[^.]*$", "");
        return "ppl_" + stem.replaceAll("[^A-Za-z0-9_.-]", "_");
    }

    /** {@code --data TASK=PATH} entries as a map; a malformed one is one line. */
    public static Map<String, Path> parseData(List<String> data) {
        Map<String, Path> out = new LinkedHashMap<>();
        for (String d : data) {
            int eq = d.indexOf('=');
            if (eq <= 0 || eq == d.length() - 1) {
                throw MergeLabException.input("--data " + d + ": write TASK=PATH", null);
            }
            out.put(d.substring(0, eq), Path.of(d.substring(eq + 1)));
        }
        return out;
    }
}
