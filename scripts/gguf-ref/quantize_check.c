// llama-quantize without its argument parsing: llama_model_quantize() from node-llama-cpp@3.21.1's prebuilt
// libllama with the default parameters (no importance matrix), which is what `llama-quantize IN OUT TYPE` runs.
// Usage: quantize_check IN.gguf OUT.gguf FTYPE   (FTYPE: the llama_ftype number, e.g. 2 = Q4_0, 7 = Q8_0,
// 15 = Q4_K_M, 14 = Q4_K_S, 17 = Q5_K_M, 18 = Q6_K; see llama.h)
#include <stdio.h>
#include <stdlib.h>
#include "llama.h"

int main(int argc, char ** argv) {
    if (argc != 4) { fprintf(stderr, "usage: quantize_check IN.gguf OUT.gguf FTYPE\n"); return 2; }
    llama_backend_init();
    struct llama_model_quantize_params p = llama_model_quantize_default_params();
    p.ftype = (enum llama_ftype) atoi(argv[3]);
    p.nthread = 1;
    uint32_t rc = llama_model_quantize(argv[1], argv[2], &p);
    llama_backend_free();
    return rc == 0 ? 0 : 1;
}
