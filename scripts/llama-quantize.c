// llama-quantize's core through the llama.cpp shared library that the oracle install ships
// (node_modules/@node-llama-cpp/linux-x64/bins/linux-x64): llama_model_quantize, which llama-quantize wraps, with
// llama.cpp's default parameters and three set: thread count, target type (ftype) and allow_requantize. For when
// scripts/build-llama-tools.sh (a full build of the same source) has not been run; KQuantOracleTest compiles it.
// No llama.h is shipped with the library, so the parameter struct is llama.cpp's own default, returned in an
// over-sized buffer, with its first fields set at their offsets in this llama.cpp version's llama.h:
// int32_t nthread; enum llama_ftype ftype; enum ggml_type output_tensor_type, token_embedding_type;
// bool allow_requantize.
//
//   llama-quantize LIBDIR [--allow-requantize] IN.gguf OUT.gguf TYPE [THREADS]     TYPE: Q4_K_M Q5_K_M Q6_K Q8_0 F32
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct { _Alignas(16) unsigned char b[512]; } opaque_params;

static int ftype(const char *s) {
    static const struct { const char *name; int id; } t[] = {
        {"F32", 0}, {"F16", 1}, {"Q4_0", 2}, {"Q4_1", 3}, {"Q8_0", 7}, {"Q5_0", 8}, {"Q5_1", 9},
        {"Q4_K_S", 14}, {"Q4_K_M", 15}, {"Q5_K_S", 16}, {"Q5_K_M", 17}, {"Q6_K", 18}, {"BF16", 32}};
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) if (strcmp(s, t[i].name) == 0) return t[i].id;
    return -1;
}

int main(int argc, char **argv) {
    int a = 1;
    if (argc < 5) { fprintf(stderr, "usage: %s LIBDIR [--allow-requantize] IN OUT TYPE [THREADS]\n", argv[0]); return 2; }
    const char *dir = argv[a++];
    _Bool requant = 0;
    if (strcmp(argv[a], "--allow-requantize") == 0) { requant = 1; a++; }
    if (argc < a + 3) { fprintf(stderr, "missing IN OUT TYPE\n"); return 2; }
    const char *in = argv[a], *out = argv[a + 1];
    int ft = ftype(argv[a + 2]);
    int threads = argc > a + 3 ? atoi(argv[a + 3]) : 1;
    if (ft < 0) { fprintf(stderr, "unknown type %s\n", argv[a + 2]); return 2; }
    char path[4096];
    snprintf(path, sizeof path, "%s/libggml.v0.4.0.so", dir);
    void *gg = dlopen(path, RTLD_NOW | RTLD_GLOBAL);
    snprintf(path, sizeof path, "%s/libllama.v0.4.0.so", dir);
    void *ll = dlopen(path, RTLD_NOW | RTLD_GLOBAL);
    if (!gg || !ll) { fprintf(stderr, "dlopen: %s\n", dlerror()); return 1; }
    void (*load_all_from_path)(const char *) = dlsym(gg, "ggml_backend_load_all_from_path");
    void (*backend_init)(void) = dlsym(ll, "llama_backend_init");
    opaque_params (*defaults)(void) = dlsym(ll, "llama_model_quantize_default_params");
    uint32_t (*quantize)(const char *, const char *, const opaque_params *) = dlsym(ll, "llama_model_quantize");
    if (!load_all_from_path || !backend_init || !defaults || !quantize) { fprintf(stderr, "a llama.cpp entry point is missing\n"); return 1; }
    load_all_from_path(dir);
    backend_init();
    opaque_params p = defaults();
    int32_t nt = threads;
    memcpy(p.b, &nt, 4);
    memcpy(p.b + 4, &ft, 4);
    p.b[16] = requant;
    uint32_t rc = quantize(in, out, &p);
    if (rc != 0) { fprintf(stderr, "llama_model_quantize failed (%u)\n", rc); return 1; }
    return 0;
}
