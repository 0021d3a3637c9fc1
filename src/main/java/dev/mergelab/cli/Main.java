package dev.mergelab.cli;

import dev.mergelab.MergeLabException;
import java.io.PrintWriter;
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
            DemoCommand.class,
            InspectCommand.class,
            LoraCommand.class,
            MergeCommand.class,
            MethodsCommand.class,
            SynthCommand.class,
            TokenizeCommand.class,
            VerifyCommand.class,
        })
public final class Main implements Runnable {

    public static final String VERSION = "0.1.0";

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
        System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
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
            c.getErr().println("mergelab: " + ex.getMessage() + " (see '" + c.getCommandSpec().qualifiedName() + " --help')");
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
        int code = cl.execute(args);
        out.flush();
        err.flush();
        return code;
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"MergeLab " + VERSION + " (Java " + Runtime.version() + ")"};
        }
    }
}
