package dev.mergelab.engine;

/** Receives progress from the executor; implementations must be thread-safe. */
public interface ProgressListener {

    default void started(int jobs, long inputBytes, long outputBytes) {
    }

    default void tensorDone(TensorJob job) {
    }

    default void warning(String message) {
    }

    ProgressListener NONE = new ProgressListener() {
    };
}
