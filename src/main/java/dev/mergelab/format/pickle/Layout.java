package dev.mergelab.format.pickle;

import dev.mergelab.format.pickle.PyValues.PyDict;
import java.util.Map;

/**
 * What a container yields once its pickle is accepted: the unpickled root (a dict) and, for each storage key,
 * the byte range of its record in the file ({@code [begin, begin + storage bytes)}).
 */
record Layout(PyDict root, Map<String, Long> storageStart, Map<String, Storages.Declared> storages, String container) {
}
