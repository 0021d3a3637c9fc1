package dev.mergelab.tokenizer;

import java.util.Arrays;

/** A growable int array (token ids, match offsets) without boxing. */
final class IntList {
    int[] a;
    int size;

    IntList(int capacity) {
        a = new int[Math.max(capacity, 4)];
    }

    IntList() {
        this(16);
    }

    void add(int v) {
        if (size == a.length) {
            a = Arrays.copyOf(a, a.length * 2);
        }
        a[size++] = v;
    }

    void addAll(int[] vs) {
        for (int v : vs) {
            add(v);
        }
    }

    int[] toArray() {
        return Arrays.copyOf(a, size);
    }
}
