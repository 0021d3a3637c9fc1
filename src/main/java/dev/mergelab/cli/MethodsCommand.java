package dev.mergelab.cli;

import dev.mergelab.method.MergeMethod;
import dev.mergelab.method.MethodRegistry;
import dev.mergelab.method.MethodSpec;
import dev.mergelab.method.MethodsJson;
import dev.mergelab.method.ParamSpec;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code mergelab methods}: every merge method with its parameters, defaults and paper. */
@Command(name = "methods", mixinStandardHelpOptions = true, description = "List merge methods, their parameters and papers.")
final class MethodsCommand implements Callable<Integer> {

    @Option(names = "--json", description = "Print JSON.")
    boolean json;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            out.println(MethodsJson.render());
            return 0;
        }
        for (MergeMethod mm : MethodRegistry.all()) {
            MethodSpec s = mm.spec();
            out.printf("%-22s %s (base: %s%s)%n", s.name(), s.description(), s.base().name().toLowerCase(java.util.Locale.ROOT),
                    s.random() ? ", random" : "");
            if (s.paper() != null && !s.paper().isBlank()) {
                out.printf("%-22s paper: %s %s%n", "", s.paper(), s.paperUrl() == null ? "" : s.paperUrl());
            }
            for (ParamSpec p : s.params()) {
                out.printf("%-22s   %-22s %-9s %-8s %s%n", "", p.name(), p.scope().name().toLowerCase(java.util.Locale.ROOT),
                        p.required() ? "required" : "= " + p.defaultValue(), p.doc() == null ? "" : p.doc());
            }
        }
        return 0;
    }
}
