package dev.mergelab.cli;

import java.io.PrintWriter;
import java.io.StringWriter;

/** The real CLI run in the test's JVM, with what it printed: the tests' view of a user's terminal. */
final class InProcessCli {

    private InProcessCli() {
    }

    /** Exit code, standard output and standard error of one command. */
    record Run(int code, String out, String err) {
    }

    static Run cli(String... args) {
        StringWriter o = new StringWriter();
        StringWriter e = new StringWriter();
        int code = Main.run(args, new PrintWriter(o), new PrintWriter(e));
        return new Run(code, o.toString(), e.toString());
    }
}
