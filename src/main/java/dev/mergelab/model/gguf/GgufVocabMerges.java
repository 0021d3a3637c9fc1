package dev.mergelab.model.gguf;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * The BPE merges of a SentencePiece vocabulary, which a {@code llama} GGUF stores as pieces and scores only: the rule
 * Transformers' SentencePieceExtractor applies when it turns a SentencePiece model into a tokenizer.json. Every way of
 * cutting a piece in two whose halves are pieces is a merge; merges are ordered by the score of the piece they make,
 * highest first (pieces of equal score in id order), and the merges that make one piece by the ids of their halves.
 * With a GGUF whose scores are a SentencePiece model's (llama.cpp's converter reading tokenizer.model), this is the list
 * Transformers writes; with one written by MergeLab (scores minus the rank of the first merge making the piece) it is the
 * original tokenizer.json's list where that list was itself made this way (Llama 2, Mistral). A list made otherwise
 * (Gemma's begins with newline runs) comes back grouped by piece, which can split rare text differently.
 */
final class GgufVocabMerges {

    private GgufVocabMerges() {
    }

    /** The merges as pairs; {@code pieceIds} maps each piece of the model's vocabulary to its id. */
    static List<String[]> fromScores(String[] tokens, float[] scores, boolean[] inModel, Map<String, Integer> pieceIds) {
        record Merge(String left, String right, int leftId, int rightId, float score, int order) {
        }
        List<Merge> merges = new ArrayList<>();
        int order = 0;
        for (int id = 0; id < tokens.length; id++) {
            if (!inModel[id]) {
                continue;
            }
            String piece = tokens[id];
            List<Merge> local = new ArrayList<>();
            int cut = 0;
            while (true) {
                cut += cut < piece.length() ? Character.charCount(piece.codePointAt(cut)) : 1;
                if (cut >= piece.length()) {
                    break;
                }
                String l = piece.substring(0, cut), r = piece.substring(cut);
                Integer li = pieceIds.get(l), ri = pieceIds.get(r);
                if (li != null && ri != null) {
                    local.add(new Merge(l, r, li, ri, scores == null ? 0f : scores[id], 0));
                }
            }
            local.sort(Comparator.comparingInt(Merge::leftId).thenComparingInt(Merge::rightId));
            for (Merge m : local) {
                merges.add(new Merge(m.left, m.right, m.leftId, m.rightId, m.score, order++));
            }
        }
        Merge[] sorted = merges.toArray(Merge[]::new);
        // highest score first, compared as Python compares floats (0.0 == -0.0); equal scores keep the id order
        Arrays.sort(sorted, (a, b) -> a.score() > b.score() ? -1 : a.score() < b.score() ? 1 : Integer.compare(a.order(), b.order()));
        List<String[]> out = new ArrayList<>(sorted.length);
        for (Merge m : sorted) {
            out.add(new String[] {m.left(), m.right()});
        }
        return out;
    }
}
