package dev.mergelab.lab.trial;

import dev.mergelab.engine.ModelOpener;
import dev.mergelab.model.ModelSource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The parents of a whole soup or search, each opened (mapped) once however many recipes name it: an opener that
 * keeps what it opened by reference and hands the same {@link ModelSource} out again. Recipes are planned over it
 * with {@code MergeSession.borrowing}, so closing a trial's session leaves the parents open; closing this closes
 * them all, once. Thread-safe.
 */
public final class SharedModels implements ModelOpener, AutoCloseable {

    private final ModelOpener opener;
    private final Map<String, ModelSource> open = new LinkedHashMap<>();
    private boolean closed;

    /** @param opener how a reference not seen yet is opened (the command's offline resolver) */
    public SharedModels(ModelOpener opener) {
        this.opener = opener;
    }

    /** The model {@code ref} names, opened on first use; a reference is matched as written. */
    @Override
    public synchronized ModelSource open(String ref) {
        if (closed) {
            throw new IllegalStateException("the shared models are closed");
        }
        ModelSource m = open.get(ref);
        if (m == null) {
            m = opener.open(ref);
            open.put(ref, m);
        }
        return m;
    }

    /** How many distinct references were opened. */
    public synchronized int opened() {
        return open.size();
    }

    /** Closes every model once; a failure closing one does not leave the others open. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        RuntimeException first = null;
        for (ModelSource m : new ArrayList<>(open.values())) {
            try {
                m.close();
            } catch (RuntimeException e) {
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        open.clear();
        if (first != null) {
            throw first;
        }
    }

    /** The references opened so far, in order. */
    public synchronized List<String> references() {
        return List.copyOf(open.keySet());
    }
}
