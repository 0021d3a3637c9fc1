package dev.mergelab.cli;

import dev.mergelab.MergeLabException;
import dev.mergelab.recipe.Suggest;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The {@code mergelab} command. This package is the only place that prints to the terminal or decides
 * the exit code: 0 ok, 2 bad input or usage, 3 models not compatible, 1 internal error.
 */
@Command(name = "mergelab", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Merge, inspect and check Hugging Face models on the JVM.",
        subcommands = {
            CommandLine.HelpCommand.class,
            BenchCommand.class,
            CompatCommand.class,
            ConvertCommand.class,
            DemoCommand.class,
            EvalCommand.class,
            ExportCommand.class,
            GenerateCommand.class,
            InspectCommand.class,
            LabCommand.class,
            LogitsCommand.class,
            LoraCommand.class,
            MergeCommand.class,
            MethodsCommand.class,
            SearchCommand.class,
            SoupCommand.class,
            SynthCommand.class,
            TokenizeCommand.class,
            VerifyCommand.class,
        })
public final class Main implements Runnable {

    /** Shared by every subcommand: show stack traces for internal errors. */
    @Option(names = "--debug", scope = CommandLine.ScopeType.INHERIT, description = "Print stack traces of errors.")
    boolean debug;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    public static void main(String[] args) {
        int code = run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true));
        System.out.flush();
        awaitStderrFilter();
        System.exit(code);
    }

    /**
     * The launcher passes stderr through a filter process (it drops the JVM's incubator-module notice; see
     * ./mergelab) and names it in MERGELAB_STDERR_FILTER_PID. Closing stderr ends the filter; waiting for it
     * means our last line is written before the shell that started us prints anything more.
     */
    private static void awaitStderrFilter() {
        String pid = System.getenv("MERGELAB_STDERR_FILTER_PID");
        if (pid == null || !pid.matches("[1-9][0-9]{0,9}")) {
            return;
        }
        System.err.flush();
        try {
            new FileOutputStream(FileDescriptor.err).close();
            ProcessHandle.of(Long.parseLong(pid)).ifPresent(p -> {
                try {
                    p.onExit().get(2, TimeUnit.SECONDS);
                } catch (InterruptedException | ExecutionException | TimeoutException e) {
                    // exit anyway: the filter only passes text through
                }
            });
        } catch (IOException e) {
            // stderr already closed
        }
    }

    /** Runs the CLI with the given streams and returns the exit code (tests call this in-process). */
    public static int run(String[] args, PrintWriter out, PrintWriter err) {
        Main main = new Main();
        CommandLine cl = new CommandLine(main);
        cl.setOut(out);
        cl.setErr(err);
        cl.setExitCodeExceptionMapper(t -> t instanceof MergeLabException m ? m.kind().exitCode : 1);
        cl.setParameterExceptionHandler((ex, a) -> {
            CommandLine c = ex.getCommandLine();
            c.getErr().println("mergelab: " + usageProblem(ex) + " (see '" + c.getCommandSpec().qualifiedName() + " --help')");
            return 2;
        });
        cl.setExecutionExceptionHandler((ex, c, parsed) -> {
            PrintWriter e = c.getErr();
            if (ex instanceof MergeLabException m) {
                e.println("mergelab: " + m.oneLine());
                if (main.debug) {
                    ex.printStackTrace(e);
                }
                e.flush();
                return m.kind().exitCode;
            }
            e.println("mergelab: internal error: " + ex + (main.debug ? "" : " (run with --debug for details)"));
            if (main.debug) {
                ex.printStackTrace(e);
            }
            e.flush();
            return 1;
        });
        int code;
        try {
            code = cl.execute(args);
        } catch (OutOfMemoryError e) {
            // Not bad input (exit 2): the same recipe succeeds with a larger heap, so it is exit 1 with a remedy.
            err.println("mergelab: ran out of Java heap (" + e.getMessage() + "; lower --threads or --memory, or give the JVM"
                    + " more heap: MERGELAB_HEAP=4g ./mergelab ...)");
            if (main.debug) {
                e.printStackTrace(err);
            }
            code = 1;
        }
        out.flush();
        err.flush();
        return code;
    }

    /**
     * The usage error in words: a word that is not a subcommand where one is expected is an unknown
     * command, with the closest subcommand's name when it looks like a typo ({@code mrege} for merge).
     */
    static String usageProblem(CommandLine.ParameterException ex) {
        CommandLine c = ex.getCommandLine();
        if (ex instanceof CommandLine.UnmatchedArgumentException u && !c.getSubcommands().isEmpty()
                && !u.getUnmatched().isEmpty() && c.getParseResult() != null && c.getParseResult().subcommand() == null) {
            String word = u.getUnmatched().getFirst();
            if (!word.startsWith("-")) {
                List<String> names = c.getSubcommands().keySet().stream().filter(n -> !n.equals("help")).toList();
                return "unknown command '" + word + "'" + Suggest.closest(word, names).map(n -> "; did you mean '" + n + "'?").orElse(".")
                        + " Commands: " + String.join(", ", names);
            }
        }
        return ex.getMessage();
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"MergeLab " + dev.mergelab.Version.VERSION + " (Java " + Runtime.version() + ")"};
        }
    }
}
