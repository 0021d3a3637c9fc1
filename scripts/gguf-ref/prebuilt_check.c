// Checks MergeLab's GGUF fixtures and files against the ggml that node-llama-cpp@3.21.1 ships prebuilt
// (bins/linux-x64/libggml-base.so, the library its llama-quantize and llama-cli load), not a local compile:
//   prebuilt_check FIXTURE_DIR     for every <type>.quant.bin: ggml_quantize_chunk(type, inputs, imatrix = NULL)
//                                  must give the fixture's bytes and the type's to_float its floats; for every
//                                  <type>.dequant.bin, to_float of the random blocks its floats. Exit 1 on a mismatch.
//   prebuilt_check --gguf FILE...  opens each file with gguf_init_from_file (no_alloc) and prints one line:
//                                  "ok FILE version n_kv n_tensors alignment data_offset" or "refused FILE".
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ggml.h"
#include "gguf.h"

static const struct { const char * name; enum ggml_type type; } TYPES[] = {
    {"f16", GGML_TYPE_F16}, {"bf16", GGML_TYPE_BF16}, {"q4_0", GGML_TYPE_Q4_0}, {"q4_1", GGML_TYPE_Q4_1},
    {"q5_0", GGML_TYPE_Q5_0}, {"q5_1", GGML_TYPE_Q5_1}, {"q8_0", GGML_TYPE_Q8_0}, {"q2_K", GGML_TYPE_Q2_K},
    {"q3_K", GGML_TYPE_Q3_K}, {"q4_K", GGML_TYPE_Q4_K}, {"q5_K", GGML_TYPE_Q5_K}, {"q6_K", GGML_TYPE_Q6_K},
};

static uint8_t * slurp(const char * path, size_t * n) {
    FILE * f = fopen(path, "rb");
    if (!f) { perror(path); exit(2); }
    fseek(f, 0, SEEK_END); *n = (size_t) ftell(f); fseek(f, 0, SEEK_SET);
    uint8_t * b = malloc(*n);
    if (fread(b, 1, *n, f) != *n) { perror(path); exit(2); }
    fclose(f);
    return b;
}

static int fixtures(const char * dir) {
    int bad = 0;
    for (size_t t = 0; t < sizeof TYPES / sizeof TYPES[0]; t++) {
        char path[4096];
        size_t n;
        snprintf(path, sizeof path, "%s/%s.quant.bin", dir, TYPES[t].name);
        uint8_t * f = slurp(path, &n);
        uint32_t blocks, per;
        memcpy(&blocks, f, 4); memcpy(&per, f + 4, 4);
        const size_t elems = (size_t) blocks * per;
        const size_t bytes = ggml_row_size(TYPES[t].type, per) * blocks;
        const float * x = (const float *) (f + 8);
        const uint8_t * q = f + 8 + elems * 4;
        const float * y = (const float *) (q + bytes);
        uint8_t * got = calloc(bytes, 1);
        float * back = calloc(elems, sizeof(float));
        ggml_quantize_chunk(TYPES[t].type, x, got, 0, blocks, per, NULL);
        ggml_get_type_traits(TYPES[t].type)->to_float(q, back, (int64_t) elems);
        int qok = memcmp(got, q, bytes) == 0, dok = memcmp(back, y, elems * 4) == 0;
        free(f);
        snprintf(path, sizeof path, "%s/%s.dequant.bin", dir, TYPES[t].name);
        f = slurp(path, &n);
        q = f + 8;
        y = (const float *) (q + bytes);
        ggml_get_type_traits(TYPES[t].type)->to_float(q, back, (int64_t) elems);
        int rok = memcmp(back, y, elems * 4) == 0;
        printf("%s %s: quantize %s, dequantize %s, random blocks %s\n", qok && dok && rok ? "ok" : "MISMATCH", TYPES[t].name,
               qok ? "same" : "differs", dok ? "same" : "differs", rok ? "same" : "differs");
        bad |= !(qok && dok && rok);
        free(f); free(got); free(back);
    }
    return bad;
}

int main(int argc, char ** argv) {
    if (argc >= 2 && strcmp(argv[1], "--gguf") == 0) {
        for (int i = 2; i < argc; i++) {
            struct gguf_init_params p = { .no_alloc = true, .ctx = NULL };
            struct gguf_context * ctx = gguf_init_from_file(argv[i], p);
            if (!ctx) { printf("refused %s\n", argv[i]); continue; }
            printf("ok %s %u %lld %lld %zu %zu\n", argv[i], gguf_get_version(ctx), (long long) gguf_get_n_kv(ctx),
                   (long long) gguf_get_n_tensors(ctx), gguf_get_alignment(ctx), gguf_get_data_offset(ctx));
            gguf_free(ctx);
        }
        return 0;
    }
    if (argc != 2) { fprintf(stderr, "usage: prebuilt_check FIXTURE_DIR | --gguf FILE...\n"); return 2; }
    return fixtures(argv[1]);
}
