// llama-bench's pp/tg tests against the llama.cpp shared library that the oracle install ships
// (node_modules/@node-llama-cpp/linux-x64/bins/linux-x64), so that our bench and llama.cpp run side by side on
// the same machine, same model file, same thread count. No llama.h is shipped there, so the few entry points are
// declared here; the parameter structs are created by llama.cpp's own *_default_params() and passed back with
// two changes (n_ctx, the first field of llama_context_params, and flash attention off, see below), so the rest
// of their layout does not matter (over-sized buffers, passed and returned in memory).
//
//   scripts/llamacpp-bench.sh MODEL.gguf [THREADS=1,2] [REPS=5] [P=128] [N=128]     (LLAMA_FLASH_ATTN=0|1|auto)
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <math.h>

typedef struct { _Alignas(16) unsigned char b[1024]; } opaque_params;   // llama_model_params / llama_context_params
typedef struct { _Alignas(16) unsigned char b[256]; } opaque_batch;     // llama_batch

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec * 1e-9; }

int main(int argc, char **argv) {
    if (argc < 7) { fprintf(stderr, "usage: %s LIBDIR MODEL THREADS REPS P N\n", argv[0]); return 2; }
    const char *dir = argv[1], *model = argv[2];
    int threads = atoi(argv[3]), reps = atoi(argv[4]), np = atoi(argv[5]), ng = atoi(argv[6]);
    char path[4096];
    snprintf(path, sizeof path, "%s/libggml.v0.4.0.so", dir);
    void *gg = dlopen(path, RTLD_NOW | RTLD_GLOBAL);
    snprintf(path, sizeof path, "%s/libllama.v0.4.0.so", dir);
    void *ll = dlopen(path, RTLD_NOW | RTLD_GLOBAL);
    if (!gg || !ll) { fprintf(stderr, "dlopen: %s\n", dlerror()); return 1; }
    void (*load_all_from_path)(const char *) = dlsym(gg, "ggml_backend_load_all_from_path");
    void (*backend_init)(void) = dlsym(ll, "llama_backend_init");
    opaque_params (*model_defaults)(void) = dlsym(ll, "llama_model_default_params");
    void *(*load_model)(const char *, opaque_params) = dlsym(ll, "llama_model_load_from_file");
    opaque_params (*ctx_defaults)(void) = dlsym(ll, "llama_context_default_params");
    void *(*init_ctx)(void *, opaque_params) = dlsym(ll, "llama_init_from_model");
    void (*set_threads)(void *, int32_t, int32_t) = dlsym(ll, "llama_set_n_threads");
    opaque_batch (*batch_one)(int32_t *, int32_t) = dlsym(ll, "llama_batch_get_one");
    int32_t (*decode)(void *, opaque_batch) = dlsym(ll, "llama_decode");
    void (*sync)(void *) = dlsym(ll, "llama_synchronize");
    void *(*get_memory)(void *) = dlsym(ll, "llama_get_memory");
    void (*memory_clear)(void *, _Bool) = dlsym(ll, "llama_memory_clear");
    void *(*get_vocab)(void *) = dlsym(ll, "llama_model_get_vocab");
    int32_t (*vocab_n)(void *) = dlsym(ll, "llama_vocab_n_tokens");
    if (!load_all_from_path || !backend_init || !model_defaults || !load_model || !ctx_defaults || !init_ctx || !set_threads
        || !batch_one || !decode || !sync || !get_memory || !memory_clear || !get_vocab || !vocab_n) {
        fprintf(stderr, "a llama.cpp entry point is missing\n");
        return 1;
    }
    load_all_from_path(dir);
    backend_init();
    void *m = load_model(model, model_defaults());
    if (!m) { fprintf(stderr, "cannot load %s\n", model); return 1; }
    // n_ctx = P + N, as llama-bench sets it: the first field of llama_context_params (uint32_t n_ctx) since 2023
    opaque_params cp = ctx_defaults();
    uint32_t n_ctx = (uint32_t) ((np > 0 ? np : 0) + (ng > 0 ? ng : 0));
    memcpy(cp.b, &n_ctx, sizeof n_ctx);
    // flash attention off, as llama-bench's default (-fa 0) in the builds peers.md measured; it is 10-14 % faster
    // here for these small models. flash_attn_type is the fourth of the enums that default to -1 (auto) at byte
    // 40..52 of llama_context_params in this library (node-llama-cpp 3.21.1; verified by llama.cpp's log line
    // "flash_attn = disabled"). Set LLAMA_FLASH_ATTN=auto to keep llama.cpp's default.
    const char *fa = getenv("LLAMA_FLASH_ATTN");
    if (!fa || strcmp(fa, "auto") != 0) {
        int32_t cur, off = 0;
        for (int o = 40; o <= 52; o += 4) { memcpy(&cur, cp.b + o, 4); if (cur != -1) break; off = o; }
        if (off != 52) { fprintf(stderr, "unexpected llama_context_params layout: leaving flash attention on auto\n"); }
        else { int32_t v = fa ? atoi(fa) : 0; memcpy(cp.b + off, &v, 4); }
    }
    void *ctx = init_ctx(m, cp);
    if (!ctx) { fprintf(stderr, "cannot create a context\n"); return 1; }
    set_threads(ctx, threads, threads);
    // a thread pool attached to the context, as llama-bench does (ggml_threadpool_params_init's defaults: poll 50)
    void *(*dev_by_type)(int) = dlsym(RTLD_DEFAULT, "ggml_backend_dev_by_type");
    void *(*dev_reg)(void *) = dlsym(RTLD_DEFAULT, "ggml_backend_dev_backend_reg");
    void *(*proc)(void *, const char *) = dlsym(RTLD_DEFAULT, "ggml_backend_reg_get_proc_address");
    void (*tp_init)(void *, int) = dlsym(RTLD_DEFAULT, "ggml_threadpool_params_init");
    void (*attach)(void *, void *, void *) = dlsym(ll, "llama_attach_threadpool");
    if (!dev_by_type || !dev_reg || !proc || !tp_init || !attach) { fprintf(stderr, "thread pool entry points missing\n"); return 1; }
    void *cpu_dev = dev_by_type(0); // GGML_BACKEND_DEVICE_TYPE_CPU
    void *(*tp_new)(void *) = cpu_dev ? proc(dev_reg(cpu_dev), "ggml_threadpool_new") : NULL;
    if (!tp_new) { fprintf(stderr, "no ggml_threadpool_new in the CPU backend\n"); return 1; }
    static unsigned char tpp[4096] __attribute__((aligned(16)));
    tp_init(tpp, threads);
    void *pool = tp_new(tpp);
    if (!pool) { fprintf(stderr, "cannot create a thread pool\n"); return 1; }
    attach(ctx, pool, NULL);
    int vocab = vocab_n(get_vocab(m));
    int32_t *toks = malloc(sizeof(int32_t) * (np > 0 ? np : 1));
    srand(42);
    for (int test = 0; test < 2; test++) {
        int n = test == 0 ? np : ng;
        if (n <= 0) continue;
        double *s = malloc(sizeof(double) * reps);
        for (int r = -1; r < reps; r++) { // r = -1: warm-up run, as llama-bench does
            memory_clear(get_memory(ctx), 1);
            double t0 = now();
            if (test == 0) {
                for (int i = 0; i < n; i++) toks[i] = rand() % vocab;
                if (decode(ctx, batch_one(toks, n)) != 0) { fprintf(stderr, "decode failed\n"); return 1; }
                sync(ctx);
            } else {
                int32_t t = rand() % vocab;
                for (int i = 0; i < n; i++) {
                    if (decode(ctx, batch_one(&t, 1)) != 0) { fprintf(stderr, "decode failed\n"); return 1; }
                    sync(ctx);
                    t = rand() % vocab;
                }
            }
            if (r >= 0) s[r] = n / (now() - t0);
        }
        double mean = 0, sd = 0;
        for (int r = 0; r < reps; r++) mean += s[r] / reps;
        for (int r = 0; r < reps; r++) sd += (s[r] - mean) * (s[r] - mean);
        sd = reps > 1 ? sqrt(sd / (reps - 1)) : 0;
        printf("| llama.cpp | %d | %s%d | %.2f ± %.2f |\n", threads, test == 0 ? "pp" : "tg", n, mean, sd);
        free(s);
    }
    return 0;
}
