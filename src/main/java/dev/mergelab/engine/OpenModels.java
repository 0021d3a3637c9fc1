package dev.mergelab.engine;

import dev.mergelab.model.ModelSource;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The models a command opened, closed together exactly once however the command ends (a model opened
 * before a later one failed to open is closed too). Not thread-safe: one command's thread adds.
 */
public final class OpenModels implements AutoCloseable {

    private final List<ModelSource> models = new ArrayList<>();
    private boolean closed;

    /** Keeps {@code m} to close later; returns it. */
    public ModelSource add(ModelSource m) {
        if (closed) {
            m.close();
            throw new IllegalStateException("models already closed");
        }
        models.add(m);
        return m;
    }

    /** The models added, in order. */
    public List<ModelSource> list() {
        return Collections.unmodifiableList(models);
    }

    /** Closes every model once; later calls do nothing. A failure closing one does not leave the others open. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        RuntimeException first = null;
        for (ModelSource m : models) {
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
        if (first != null) {
            throw first;
        }
    }
}
