package dev.mergelab.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.mergelab.MergeLabException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TaskDocsTest {

    @TempDir
    Path dir;

    @Test
    void findsSplitsInTheConfigFolderFirst() throws IOException {
        TaskConfig c = BuiltinTasks.mmlu("anatomy");
        Files.createDirectories(dir.resolve("anatomy"));
        Files.writeString(dir.resolve("anatomy/test.jsonl"), "{\"question\": \"q\", \"choices\": [\"a\",\"b\",\"c\",\"d\"], \"answer\": 2}\n");
        Files.writeString(dir.resolve("anatomy/dev-00000-of-00001.jsonl"), "{\"question\": \"s\", \"choices\": [\"a\",\"b\",\"c\",\"d\"], \"answer\": 0}\n");
        TaskDocs docs = new TaskDocs(c, dir);
        assertEquals(2, docs.evalDocs().get(0).get("answer"));
        assertEquals("s", docs.fewshotDocs().get(0).get("question"));
    }

    @Test
    void aMissingDatasetSaysWhichFileToPutWhere() {
        TaskConfig c = BuiltinTasks.arc("arc_easy", "ARC-Easy");
        MergeLabException none = assertThrows(MergeLabException.class, () -> new TaskDocs(c, (Path) null).evalDocs());
        assertEquals("no data for task arc_easy: download test.jsonl (columns of the Hugging Face dataset allenai/ai2_arc ARC-Easy)"
                + " and pass --data arc_easy=FOLDER (or =FILE)", none.getMessage());
        MergeLabException missing = assertThrows(MergeLabException.class, () -> new TaskDocs(c, dir).evalDocs());
        assertEquals("no data for task arc_easy: expected " + dir.resolve("ARC-Easy").resolve("test.jsonl")
                + " (columns of the Hugging Face dataset allenai/ai2_arc ARC-Easy)", missing.getMessage());
    }

    @Test
    void aSingleFileIsTheEvaluatedSplitOnly() throws IOException {
        TaskConfig c = BuiltinTasks.arc("arc_easy", "ARC-Easy");
        Path f = dir.resolve("mine.jsonl");
        Files.writeString(f, "{\"question\": \"q\", \"choices\": {\"text\": [\"a\"], \"label\": [\"A\"]}, \"answerKey\": \"A\"}\n");
        TaskDocs docs = new TaskDocs(c, f);
        assertEquals(1, docs.evalDocs().size());
        MergeLabException e = assertThrows(MergeLabException.class, docs::fewshotDocs);
        assertEquals("few-shot examples of arc_easy come from its train split; give --data arc_easy=FOLDER holding train.jsonl beside test.jsonl",
                e.getMessage());
    }
}
