package dev.mergelab.format.pickle;

import dev.mergelab.format.pickle.PyValues.PyDict;
import java.util.Map;

/**
 * What a container yields once its pickle is accepted: the unpickled root (a dict) and, for each storage key,
 * the file offset where its record's bytes start; {@code container} is "zip" or "legacy".
 */
record Layout(PyDict root, Map<String, Long> storageStart, String container) {
}
