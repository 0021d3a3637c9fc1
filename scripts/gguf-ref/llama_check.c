// llama.cpp as the judge of a MergeLab GGUF export, through node-llama-cpp@3.21.1's prebuilt libllama (CPU):
//   llama_check logits   MODEL.gguf BINS OUT.bin ID...  the logits of every position for the ids, run as one
//                        sequence from position 0 (F32 KV cache, no flash attention), as float32 [n, n_vocab]
//   llama_check tokenize MODEL.gguf BINS IN.bin OUT.txt  IN holds strings as (u32 byte length, UTF-8 bytes);
//                        OUT gets one line of space-separated ids per string (add_special, parse_special)
// BINS is the folder of the prebuilt CPU backends (libggml-cpu-*.so), loaded as node-llama-cpp loads them.
// Used by GgufLlamaCppTest.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ggml-backend.h"
#include "llama.h"

static void quiet(enum ggml_log_level level, const char * text, void * data) {
    (void) data;
    if (level >= GGML_LOG_LEVEL_ERROR) fputs(text, stderr);
}

static struct llama_model * load(const char * path, const char * bins) {
    llama_log_set(quiet, NULL);
    ggml_backend_load_all_from_path(bins);
    llama_backend_init();
    struct llama_model_params mp = llama_model_default_params();
    mp.n_gpu_layers = 0;
    struct llama_model * m = llama_model_load_from_file(path, mp);
    if (!m) { fprintf(stderr, "cannot load %s\n", path); exit(1); }
    return m;
}

static int logits(int argc, char ** argv) {
    struct llama_model * m = load(argv[2], argv[3]);
    int n = argc - 5;
    llama_token * ids = malloc(sizeof(llama_token) * n);
    for (int i = 0; i < n; i++) ids[i] = atoi(argv[5 + i]);
    struct llama_context_params cp = llama_context_default_params();
    cp.n_ctx = n < 64 ? 64 : n;
    cp.n_batch = cp.n_ctx;
    cp.n_ubatch = cp.n_ctx;
    cp.n_threads = 2;
    cp.n_threads_batch = 2;
    cp.type_k = GGML_TYPE_F32;
    cp.type_v = GGML_TYPE_F32;
    cp.flash_attn_type = LLAMA_FLASH_ATTN_TYPE_DISABLED;
    struct llama_context * ctx = llama_init_from_model(m, cp);
    if (!ctx) { fprintf(stderr, "no context\n"); return 1; }
    struct llama_batch b = llama_batch_init(n, 0, 1);
    for (int i = 0; i < n; i++) {
        b.token[i] = ids[i];
        b.pos[i] = i;
        b.n_seq_id[i] = 1;
        b.seq_id[i][0] = 0;
        b.logits[i] = 1;
    }
    b.n_tokens = n;
    if (llama_decode(ctx, b) != 0) { fprintf(stderr, "decode failed\n"); return 1; }
    int nv = llama_vocab_n_tokens(llama_model_get_vocab(m));
    FILE * f = fopen(argv[4], "wb");
    for (int i = 0; i < n; i++) fwrite(llama_get_logits_ith(ctx, i), sizeof(float), nv, f);
    fclose(f);
    llama_batch_free(b);
    llama_free(ctx);
    llama_model_free(m);
    return 0;
}

static int tokenize(char ** argv) {
    struct llama_model * m = load(argv[2], argv[3]);
    const struct llama_vocab * v = llama_model_get_vocab(m);
    FILE * in = fopen(argv[4], "rb");
    FILE * out = fopen(argv[5], "w");
    if (!in || !out) { fprintf(stderr, "cannot open files\n"); return 1; }
    uint32_t len;
    while (fread(&len, 4, 1, in) == 1) {
        char * s = malloc(len + 1);
        if (len && fread(s, 1, len, in) != len) { fprintf(stderr, "short input\n"); return 1; }
        s[len] = 0;
        int cap = (int) len + 16;
        llama_token * ids = malloc(sizeof(llama_token) * cap);
        int k = llama_tokenize(v, s, (int32_t) len, ids, cap, true, true);
        if (k < 0) { fprintf(stderr, "tokenize failed\n"); return 1; }
        for (int i = 0; i < k; i++) fprintf(out, i ? " %d" : "%d", ids[i]);
        fputc('\n', out);
        free(ids);
        free(s);
    }
    fclose(in);
    fclose(out);
    llama_model_free(m);
    return 0;
}

int main(int argc, char ** argv) {
    if (argc >= 6 && strcmp(argv[1], "logits") == 0) return logits(argc, argv);
    if (argc == 6 && strcmp(argv[1], "tokenize") == 0) return tokenize(argv);
    fprintf(stderr, "usage: llama_check logits MODEL.gguf BINS OUT.bin ID... | tokenize MODEL.gguf BINS IN.bin OUT.txt\n");
    return 2;
}
