package dev.mergelab.tokenizer;

/** One entry of tokenizer.json's {@code added_tokens}. */
record AddedToken(String content, boolean singleWord, boolean lstrip, boolean rstrip, boolean normalized,
        boolean special) {

    static AddedToken parse(JsonField f) {
        f.object();
        boolean special = f.get("special").bool(false);
        return new AddedToken(f.get("content").string(), f.get("single_word").bool(false), f.get("lstrip").bool(false),
                f.get("rstrip").bool(false), f.get("normalized").bool(!special), special);
    }
}
