package dev.mergelab.cli;

import dev.mergelab.MergeLabException;
import dev.mergelab.lab.registry.Candidate;
import dev.mergelab.lab.registry.Edge;
import dev.mergelab.lab.registry.Lineage;
import dev.mergelab.lab.registry.Registry;
import java.io.PrintWriter;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code mergelab lab lineage ID [--json] [--dot]}: the ancestry DAG down to the base models. */
@Command(name = "lineage", mixinStandardHelpOptions = true,
        description = {"Print a candidate's ancestry down to its base models: each edge with its relation (merge, adapter, finetune, "
                + "quantized) and, on merge edges, the method and that parent's resolved parameters (a parameter that varies "
                + "by tensor is an object from output tensor ranges FIRST..LAST to values).",
                "--json prints {\"nodes\": [{\"id\", \"path\", \"kind\", \"sha256\"}], \"edges\": [{\"from\", \"to\", \"relation\", "
                        + "\"method\", \"parameters\"}]} (id: short content id, sha256: full); --dot prints Graphviz."})
final class LabLineageCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "ID", description = "Candidate id (a unique prefix will do) or model folder.")
    String id;

    @Option(names = "--json", description = "Print nodes and edges as JSON.")
    boolean json;

    @Option(names = "--dot", description = "Print a Graphviz digraph (render with: dot -Tsvg).")
    boolean dot;

    @Mixin
    LabOption lab = new LabOption();

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        if (json && dot) {
            throw MergeLabException.input("--json and --dot exclude each other", "pick one output format");
        }
        PrintWriter out = spec.commandLine().getOut();
        try (Registry registry = lab.open()) {
            Lineage l = Lineage.of(registry, registry.resolve(id));
            if (json) {
                out.println(l.json());
            } else if (dot) {
                out.print(l.dot());
            } else {
                Map<String, List<Edge>> parents = l.edges().stream().collect(Collectors.groupingBy(Edge::child));
                Map<String, Candidate> nodes = l.nodes().stream().collect(Collectors.toMap(Candidate::id, c -> c));
                print(out, l.nodes().getFirst(), null, "", parents, nodes, new HashSet<>());
            }
            return 0;
        }
    }

    /** An indented tree; a node reached twice (a shared base) is printed in full once and by id afterwards. */
    private static void print(PrintWriter out, Candidate c, Edge via, String indent, Map<String, List<Edge>> parents,
            Map<String, Candidate> nodes, Set<String> shown) {
        String how = via == null ? "" : LabText.edge(via) + ": ";
        boolean again = !shown.add(c.id());
        out.println(indent + how + c.shortId() + " " + c.kind() + " " + c.where() + (again && parents.containsKey(c.id()) ? " (see above)" : ""));
        if (again) {
            return;
        }
        for (Edge e : parents.getOrDefault(c.id(), List.of())) {
            print(out, nodes.get(e.parent()), e, indent + "  ", parents, nodes, shown);
        }
    }
}
