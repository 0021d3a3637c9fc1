package dev.mergelab.tokenizer;

import java.util.ArrayList;
import java.util.List;

/** One step of tokenizer.json's {@code pre_tokenizer}: cuts a piece into smaller ones (and may rewrite them). */
interface PreTokenizer {

    /** Appends the pieces {@code p} becomes (empty pieces are dropped by the caller). */
    void split(Piece p, List<Piece> out);

    /** Applies this step to every piece that is not already an added token, keeping their order. */
    default List<Piece> apply(List<Piece> pieces) {
        List<Piece> out = new ArrayList<>(pieces.size() * 2);
        List<Piece> buf = new ArrayList<>();
        for (Piece p : pieces) {
            if (p.isToken()) {
                out.add(p);
                continue;
            }
            buf.clear();
            split(p, buf);
            for (Piece q : buf) {
                if (!q.text.isEmpty()) {
                    out.add(q);
                }
            }
        }
        return out;
    }
}
