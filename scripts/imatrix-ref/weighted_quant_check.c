// ggml's quantizers WITH an importance matrix, from the libggml-base.so that node-llama-cpp@3.21.1 ships prebuilt
// (what its llama-quantize runs for `--imatrix`): ggml_quantize_chunk(type, x, y, 0, nrows, n_per_row, qw).
// Usage: weighted_quant_check IN OUT
//   IN:  cases, each: int32 ggml_type, int32 nrows, int32 n_per_row, float x[nrows*n_per_row], float qw[n_per_row]
//   OUT: for each case, the bytes ggml_quantize_chunk wrote (nrows * ggml_row_size(type, n_per_row)).
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include "ggml.h"

int main(int argc, char ** argv) {
    if (argc != 3) { fprintf(stderr, "usage: weighted_quant_check IN OUT\n"); return 2; }
    FILE * in = fopen(argv[1], "rb");
    FILE * out = fopen(argv[2], "wb");
    if (!in || !out) { perror("open"); return 2; }
    int32_t head[3];
    while (fread(head, sizeof head, 1, in) == 1) {
        const enum ggml_type type = (enum ggml_type) head[0];
        const int64_t nrows = head[1], n = head[2];
        float * x = malloc(sizeof(float) * nrows * n);
        float * qw = malloc(sizeof(float) * n);
        if (fread(x, sizeof(float), nrows * n, in) != (size_t) (nrows * n) || fread(qw, sizeof(float), n, in) != (size_t) n) {
            fprintf(stderr, "truncated case\n");
            return 2;
        }
        const size_t bytes = nrows * ggml_row_size(type, n);
        void * y = calloc(1, bytes);
        if (ggml_quantize_chunk(type, x, y, 0, nrows, n, qw) != bytes) { fprintf(stderr, "size mismatch\n"); return 1; }
        fwrite(y, 1, bytes, out);
        free(x); free(qw); free(y);
    }
    fclose(out);
    return 0;
}
