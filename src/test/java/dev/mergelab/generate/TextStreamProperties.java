package dev.mergelab.generate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/** Whatever the pieces and stop strings: what streams out is final, and it is the text cut before the first stop. */
class TextStreamProperties {

    @Provide
    Arbitrary<List<String>> pieces() {
        return Arbitraries.strings().withChars("ab<|>").ofMinLength(0).ofMaxLength(4).list().ofMinSize(1).ofMaxSize(25);
    }

    @Provide
    Arbitrary<List<String>> stops() {
        return Arbitraries.strings().withChars("ab<|>").ofMinLength(1).ofMaxLength(5).list().ofMaxSize(3);
    }

    @Property(tries = 1000)
    void streamedTextIsTheTextCutBeforeTheFirstStop(@ForAll("pieces") List<String> pieces, @ForAll("stops") List<String> stops) {
        TextStream s = new TextStream(ids -> {
            StringBuilder b = new StringBuilder();
            for (int id : ids) {
                b.append(pieces.get(id));
            }
            return b.toString();
        }, stops);
        StringBuilder out = new StringBuilder();
        StringBuilder full = new StringBuilder();
        for (int i = 0; i < pieces.size() && !s.stopped(); i++) {
            full.append(pieces.get(i));
            out.append(s.push(i));
            assertTrue(full.toString().startsWith(out.toString()), "streamed text is not final: " + out + " vs " + full);
        }
        out.append(s.finish());
        String text = full.toString();
        int cut = text.length();
        for (String stop : stops) {
            int at = text.indexOf(stop);
            if (at >= 0) {
                cut = Math.min(cut, at);
            }
        }
        assertEquals(text.substring(0, cut), out.toString());
        assertEquals(cut < text.length() || stops.stream().anyMatch(text::contains), s.stopped());
    }
}
