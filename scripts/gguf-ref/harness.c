// Writes, for one ggml type, fixtures that MergeLab's GGUF codecs must reproduce bit for bit:
//   <type>.quant.bin   u32 blocks, u32 elements per block, then the input floats, the bytes of
//                      quantize_<type>(src, dst, nrow, n_per_row, imatrix = NULL) (the call llama-quantize
//                      makes through ggml_quantize_chunk without an importance matrix), then the floats of
//                      dequantize_row_<type> of those bytes.
//   <type>.dequant.bin u32 blocks, u32 elements per block, then random block bytes (every scale field a
//                      finite fp16), then the floats of dequantize_row_<type> of them.
// Inputs come from a fixed xorshift generator; each block of the quant fixture is one case: all zero, one
// huge value, negative maxima, subnormals, a constant, tiny (1e-12) values, or normals at scales 2^-20..2^12.
// Usage: harness TYPE OUT_DIR BLOCKS [SEED]   (SEED varies the random inputs; the committed fixtures use none)
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include "ggml.h"
#include "ggml-common.h"
#include "ggml-impl.h"
#include "ggml-quants.h"

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static uint64_t next(void) { rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17; return rng; }
static float uniform(void) { return (float) (next() >> 40) * 0x1p-24f; }               // [0, 1)
static float normalish(void) { return uniform() + uniform() + uniform() + uniform() - 2.0f; } // Irwin-Hall

typedef size_t (*quantize_fn)(const float *, void *, int64_t, int64_t, const float *);
typedef void (*dequantize_fn)(const void *, float *, int64_t);

static size_t q_f16(const float * src, void * dst, int64_t nrow, int64_t n, const float * w) {
    (void) w; ggml_fp16_t * y = dst;
    for (int64_t i = 0; i < nrow * n; i++) y[i] = GGML_FP32_TO_FP16(src[i]);   // ggml_fp32_to_fp16_row
    return nrow * n * 2;
}
static void dq_f16(const void * x, float * y, int64_t k) {
    const ggml_fp16_t * h = x;
    for (int64_t i = 0; i < k; i++) y[i] = GGML_FP16_TO_FP32(h[i]);                 // ggml_fp16_to_fp32_row
}
static size_t q_bf16(const float * src, void * dst, int64_t nrow, int64_t n, const float * w) {
    (void) w; ggml_bf16_t * y = dst;
    for (int64_t i = 0; i < nrow * n; i++) y[i] = GGML_FP32_TO_BF16(src[i]);   // ggml_fp32_to_bf16_row_ref
    return nrow * n * 2;
}
static void dq_bf16(const void * x, float * y, int64_t k) {
    const ggml_bf16_t * h = x;
    for (int64_t i = 0; i < k; i++) y[i] = GGML_BF16_TO_FP32(h[i]);
}

struct kind { const char * name; int blck; int size; quantize_fn q; dequantize_fn dq; int scale_offsets[2]; };

#define DQ(f) (dequantize_fn) (f)
static const struct kind KINDS[] = {
    // scale_offsets: byte offsets of fp16 scale fields inside a block (-1: none), kept finite in random blocks
    {"f16",  1,   2,   q_f16,        dq_f16,                    {-1, -1}},
    {"bf16", 1,   2,   q_bf16,       dq_bf16,                   {-1, -1}},
    {"q4_0", 32,  18,  quantize_q4_0, DQ(dequantize_row_q4_0),  {0, -1}},
    {"q4_1", 32,  20,  quantize_q4_1, DQ(dequantize_row_q4_1),  {0, 2}},
    {"q5_0", 32,  22,  quantize_q5_0, DQ(dequantize_row_q5_0),  {0, -1}},
    {"q5_1", 32,  24,  quantize_q5_1, DQ(dequantize_row_q5_1),  {0, 2}},
    {"q8_0", 32,  34,  quantize_q8_0, DQ(dequantize_row_q8_0),  {0, -1}},
    {"q2_K", 256, 84,  quantize_q2_K, DQ(dequantize_row_q2_K),  {80, 82}},
    {"q3_K", 256, 110, quantize_q3_K, DQ(dequantize_row_q3_K),  {108, -1}},
    {"q4_K", 256, 144, quantize_q4_K, DQ(dequantize_row_q4_K),  {0, 2}},
    {"q5_K", 256, 176, quantize_q5_K, DQ(dequantize_row_q5_K),  {0, 2}},
    {"q6_K", 256, 210, quantize_q6_K, DQ(dequantize_row_q6_K),  {208, -1}},
};

static void fill_case(float * x, int n, int block) {
    const int c = block % 16;
    const float scales[] = {0x1p-20f, 0x1p-10f, 0x1p-3f, 1.0f, 0x1p3f, 0x1p12f};
    switch (c) {
        case 0: memset(x, 0, n * sizeof(float)); return;                                  // all zero
        case 1: for (int i = 0; i < n; i++) x[i] = normalish() * 0x1p-10f;                // one huge value
                x[next() % n] = (next() & 1) ? 3.0e4f : -1.0e30f; return;
        case 2: for (int i = 0; i < n; i++) x[i] = -fabsf(normalish()) * 4.0f;            // negative maxima
                return;
        case 3: for (int i = 0; i < n; i++) x[i] = normalish() * 0x1p-130f; return;       // subnormals
        case 4: { float v = normalish(); for (int i = 0; i < n; i++) x[i] = v; return; }  // constant
        case 5: for (int i = 0; i < n; i++) x[i] = normalish() * 1e-12f; return;          // below GROUP_MAX_EPS
        case 6: for (int i = 0; i < n; i++) x[i] = (float) (int) (normalish() * 8.0f);   // small integers, ties
                return;
        default: { float s = scales[c % 6]; for (int i = 0; i < n; i++) x[i] = normalish() * s; return; }
    }
}

static void write_all(FILE * f, const void * p, size_t n) {
    if (fwrite(p, 1, n, f) != n) { perror("fwrite"); exit(1); }
}

int main(int argc, char ** argv) {
    if (argc != 4 && argc != 5) { fprintf(stderr, "usage: harness TYPE OUT_DIR BLOCKS [SEED]\n"); return 2; }
    const struct kind * k = NULL;
    for (size_t i = 0; i < sizeof KINDS / sizeof KINDS[0]; i++) if (!strcmp(KINDS[i].name, argv[1])) k = &KINDS[i];
    if (!k) { fprintf(stderr, "unknown type %s\n", argv[1]); return 2; }
    const uint32_t blocks = (uint32_t) atoi(argv[3]);
    // one block per "row" for the scalar types would be one element: use 32-element cases instead
    const uint32_t per = k->blck == 1 ? 32 : (uint32_t) k->blck;
    const size_t n = (size_t) blocks * per;
    const size_t bytes = n / k->blck * k->size;
    float * x = malloc(n * sizeof(float));
    float * y = malloc(n * sizeof(float));
    uint8_t * q = malloc(bytes);
    rng = 0x9E3779B97F4A7C15ull ^ (uint64_t) k->size * 0x100000001B3ull;
    if (argc == 5) rng ^= strtoull(argv[4], NULL, 10) * 0xD1B54A32D192ED03ull;
    if (!rng) rng = 1;
    for (uint32_t b = 0; b < blocks; b++) fill_case(x + (size_t) b * per, per, b);
    // nrow = blocks rows of one block each, as ggml_quantize_chunk passes them
    if (k->q(x, q, blocks, per, NULL) != bytes) { fprintf(stderr, "size mismatch\n"); return 1; }
    k->dq(q, y, n);
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.quant.bin", argv[2], k->name);
    FILE * f = fopen(path, "wb");
    if (!f) { perror(path); return 1; }
    write_all(f, &blocks, 4); write_all(f, &per, 4);
    write_all(f, x, n * sizeof(float)); write_all(f, q, bytes); write_all(f, y, n * sizeof(float));
    fclose(f);

    for (size_t i = 0; i < bytes; i++) q[i] = (uint8_t) next();
    const size_t bs = (size_t) k->size * (k->blck == 1 ? 32 : 1);
    for (size_t blk = 0; blk < bytes / bs; blk++) {
        for (int s = 0; s < 2; s++) {
            int off = k->scale_offsets[s];
            if (off < 0) continue;
            uint8_t * h = q + blk * bs + off;
            if ((h[1] & 0x7C) == 0x7C) h[1] &= 0xFB;                 // exponent 31 (inf/nan) -> 30
        }
        if (k->blck == 1 && !strcmp(k->name, "f16")) {              // finite halves only
            for (size_t e = 0; e < bs; e += 2) if ((q[blk * bs + e + 1] & 0x7C) == 0x7C) q[blk * bs + e + 1] &= 0xFB;
        }
        if (k->blck == 1 && !strcmp(k->name, "bf16")) {             // finite bfloat16 only
            for (size_t e = 0; e < bs; e += 2) {
                uint8_t * h = q + blk * bs + e;
                if ((h[1] & 0x7F) == 0x7F && (h[0] & 0x80)) h[0] &= 0x7F;
            }
        }
    }
    k->dq(q, y, n);
    snprintf(path, sizeof path, "%s/%s.dequant.bin", argv[2], k->name);
    f = fopen(path, "wb");
    if (!f) { perror(path); return 1; }
    write_all(f, &blocks, 4); write_all(f, &per, 4);
    write_all(f, q, bytes); write_all(f, y, n * sizeof(float));
    fclose(f);
    free(x); free(y); free(q);
    return 0;
}
