package dev.mergelab.fuzz;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/** The seed corpus of one parser, {@code src/test/resources/fuzz/<parser>/}, as files. */
public final class FuzzSeeds {

    private FuzzSeeds() {
    }

    /** Every regular file of the corpus except its README, sorted by name. */
    public static List<Path> of(String parser) throws IOException {
        Path dir;
        try {
            var url = FuzzSeeds.class.getClassLoader().getResource("fuzz/" + parser);
            if (url == null) {
                throw new IOException("no seed corpus fuzz/" + parser + " on the test class path");
            }
            dir = Path.of(url.toURI());
        } catch (URISyntaxException e) {
            throw new IOException(e);
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(Files::isRegularFile).filter(p -> !p.getFileName().toString().equals("README.md")).sorted().toList();
        }
    }
}
