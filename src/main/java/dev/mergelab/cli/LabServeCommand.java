package dev.mergelab.cli;

import dev.mergelab.MergeLabException;
import dev.mergelab.lab.registry.Registry;
import dev.mergelab.lab.web.LabServer;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code mergelab lab serve [--port 8080] [--host 127.0.0.1]}: the lab as a local web page, read live. */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = {"Serve the lab as web pages on this computer: the candidates table (sortable by any score, filtered by kind), "
                + "each candidate with its lineage drawn as a DAG, recipe, scores, runs and model card, two candidates compared, the "
                + "interference matrix of a set, and each search's progress and Pareto front. The lab is read anew on every request, "
                + "so pages show what other commands record meanwhile.",
            "JSON of every view under /api/... (GET /api lists the routes). Stop with Ctrl-C."})
final class LabServeCommand implements Callable<Integer> {

    @Option(names = "--port", defaultValue = "8080", paramLabel = "PORT", description = "Port to listen on (default: ${DEFAULT-VALUE}; 0: any free port).")
    int port;

    @Option(names = "--host", defaultValue = "127.0.0.1", paramLabel = "ADDRESS",
            description = "Address to listen on (default: ${DEFAULT-VALUE}, this computer only). Another address lets anyone who reaches it read the lab.")
    String host;

    @Mixin
    LabOption lab = new LabOption();

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws InterruptedException {
        if (port < 0 || port > 65535) {
            throw MergeLabException.input("--port must be between 0 and 65535, not " + port);
        }
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Path dir;
        try (Registry registry = lab.open()) { // a missing, corrupt or newer lab is refused now, not on the first request
            dir = registry.lab();
        }
        LabServer server = LabServer.start(dir, host, port, line -> {
            synchronized (err) {
                err.println("mergelab: " + line);
                err.flush();
            }
        });
        if (!server.loopback()) {
            err.println("mergelab: warning: listening on " + host + ": anyone who can reach this address can read the lab");
            err.flush();
        }
        out.println("serving the lab " + dir + " at " + server.uri() + " (Ctrl-C to stop)");
        out.flush();
        try {
            new CountDownLatch(1).await(); // until the JVM is stopped
        } finally {
            server.close();
        }
        return 0;
    }
}
