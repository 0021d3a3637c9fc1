/**
 * Layer 2: local data sets read as rows ({@code List<Map<String, Object>>}, column name to value) the way a
 * Hugging Face dataset split presents them: JSON lines, JSON (a list or {@code {"data": [...]}}) and CSV files.
 */
package dev.mergelab.data;
