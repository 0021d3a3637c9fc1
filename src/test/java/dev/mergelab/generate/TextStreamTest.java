package dev.mergelab.generate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mergelab.tokenizer.Tokenizer;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Streaming text: final pieces only, whole characters only, and stop strings found across token boundaries. */
class TextStreamTest {

    /** A detokeniser over fixed pieces: id i is pieces[i]. */
    private static TextStream stream(List<String> pieces, List<String> stops) {
        return new TextStream(ids -> {
            StringBuilder b = new StringBuilder();
            for (int id : ids) {
                b.append(pieces.get(id));
            }
            return b.toString();
        }, stops);
    }

    @Test
    void aStopStringSplitAcrossTokensEndsTheTextBeforeIt() {
        TextStream s = stream(List.of("Hel", "lo ", "wo", "rld", "!"), List.of("lo wor"));
        StringBuilder out = new StringBuilder();
        out.append(s.push(0));
        out.append(s.push(1));
        assertEquals("Hel", out.toString(), "'lo ' may start the stop string: held back");
        out.append(s.push(2));
        assertFalse(s.stopped());
        out.append(s.push(3));
        assertTrue(s.stopped());
        out.append(s.finish());
        assertEquals("Hel", out.toString());
        assertEquals("Hel", s.text());
    }

    @Test
    void aHeldTailThatNeverBecomesAStopStringIsReleased() {
        TextStream s = stream(List.of("a", "<", "|", "b"), List.of("<|end|>", "###"));
        StringBuilder out = new StringBuilder();
        for (int id : new int[] {0, 1, 2, 3}) {
            out.append(s.push(id));
            assertFalse(out.toString().contains("<") && !out.toString().contains("b"), "held until settled: " + out);
        }
        out.append(s.finish());
        assertEquals("a<|b", out.toString());
    }

    @Test
    void theEarliestOfSeveralStopStringsWins() {
        TextStream s = stream(List.of("x", "BB", "AA"), List.of("AA", "BB"));
        StringBuilder out = new StringBuilder();
        out.append(s.push(0));
        out.append(s.push(1));
        assertTrue(s.stopped());
        assertEquals("x", out + s.finish());
    }

    private static Tokenizer real(String name) throws IOException {
        Path p = Path.of("src/test/resources/tokenizer/real/" + name + ".json.gz");
        try (InputStream in = new GZIPInputStream(Files.newInputStream(p))) {
            return Tokenizer.fromJson(in.readAllBytes(), p.toString());
        }
    }

    /** Mistral (SentencePiece byte fallback: <0xF0><0x9F>...) and Qwen 3 (byte-level BPE) split characters into bytes. */
    @ParameterizedTest
    @ValueSource(strings = {"mistral", "qwen3"})
    void multiByteCharactersSplitAcrossTokensArePrintedWhole(String name) throws IOException {
        Tokenizer tok = real(name);
        String text = "Grüße 🎉🦜 日本語 𝔘𝔫𝔦 a\u0301 ok";
        int[] ids = tok.encode(text, false);
        TextStream s = TextStream.of(tok, List.of());
        List<String> pieces = new ArrayList<>();
        int splitCharacters = 0;
        for (int id : ids) {
            String piece = s.push(id);
            pieces.add(piece);
            assertFalse(piece.contains("\uFFFD"), "a broken character was printed: " + pieces);
            assertFalse(!piece.isEmpty() && Character.isHighSurrogate(piece.charAt(piece.length() - 1)), "half a surrogate pair");
            splitCharacters += piece.isEmpty() ? 1 : 0;
        }
        pieces.add(s.finish());
        assertEquals(tok.decode(ids, true), String.join("", pieces));
        assertTrue(splitCharacters > 0, "the text should split some character across tokens in " + name);
    }
}
