package dev.mergelab.lab.search;

import java.util.List;

/**
 * Where a search's evaluations are kept so a killed search continues: the lab's {@code search_evals} rows of one
 * search, or memory when no lab is active.
 */
public interface EvalLog {

    /** Evaluations already recorded for this search, in step order (empty for a new search). */
    List<EvalRecord> recorded();

    /** Records one evaluation; steps arrive in order, each once. */
    void append(EvalRecord record);

    /** A log that forgets when the process ends. */
    static EvalLog inMemory() {
        return new EvalLog() {
            private final List<EvalRecord> records = new java.util.ArrayList<>();

            @Override
            public synchronized List<EvalRecord> recorded() {
                return List.copyOf(records);
            }

            @Override
            public synchronized void append(EvalRecord record) {
                if (record.step() != records.size()) {
                    throw new IllegalStateException("step " + record.step() + " recorded after " + records.size() + " steps");
                }
                records.add(record);
            }
        };
    }
}
