package dev.mergelab.cli;

import java.io.PrintWriter;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/** Warnings on stderr, each distinct line once (methods warn per tensor; a repeated line says nothing new). */
final class Warnings {

    private Warnings() {
    }

    static Consumer<String> printOnce(PrintWriter err) {
        Set<String> seen = ConcurrentHashMap.newKeySet();
        return w -> {
            if (seen.add(w)) {
                synchronized (err) {
                    err.println("mergelab: warning: " + w);
                    err.flush();
                }
            }
        };
    }
}
