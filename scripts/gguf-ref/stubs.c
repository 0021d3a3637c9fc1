// The four ggml.c symbols ggml-quants.c links against, for the harness only (ggml.c itself drags in the
// whole backend). ggml_row_size/ggml_type_size follow ggml.c's type_traits for the types the harness uses.
#include <stdio.h>
#include <stdlib.h>
#include <stdarg.h>
#include "ggml.h"

void ggml_abort(const char * file, int line, const char * fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "ggml_abort %s:%d: ", file, line);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    abort();
}

static void traits(enum ggml_type t, size_t * type_size, int64_t * blck) {
    switch (t) {
        case GGML_TYPE_F32:  *type_size = 4;   *blck = 1;   return;
        case GGML_TYPE_F16:  *type_size = 2;   *blck = 1;   return;
        case GGML_TYPE_BF16: *type_size = 2;   *blck = 1;   return;
        case GGML_TYPE_Q4_0: *type_size = 18;  *blck = 32;  return;
        case GGML_TYPE_Q4_1: *type_size = 20;  *blck = 32;  return;
        case GGML_TYPE_Q5_0: *type_size = 22;  *blck = 32;  return;
        case GGML_TYPE_Q5_1: *type_size = 24;  *blck = 32;  return;
        case GGML_TYPE_Q8_0: *type_size = 34;  *blck = 32;  return;
        case GGML_TYPE_Q2_K: *type_size = 84;  *blck = 256; return;
        case GGML_TYPE_Q3_K: *type_size = 110; *blck = 256; return;
        case GGML_TYPE_Q4_K: *type_size = 144; *blck = 256; return;
        case GGML_TYPE_Q5_K: *type_size = 176; *blck = 256; return;
        case GGML_TYPE_Q6_K: *type_size = 210; *blck = 256; return;
        default: fprintf(stderr, "stubs.c: type %d not in the harness\n", (int) t); abort();
    }
}

size_t ggml_type_size(enum ggml_type type) {
    size_t s; int64_t b; traits(type, &s, &b); return s;
}

size_t ggml_row_size(enum ggml_type type, int64_t ne) {
    size_t s; int64_t b; traits(type, &s, &b); return s * ne / b;
}

const char * ggml_type_name(enum ggml_type type) {
    (void) type;
    return "?";
}
