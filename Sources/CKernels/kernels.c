#include "lockstep_kernels.h"
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The kernels once per instruction set: the same C, compiled with each set's vectors. Other
 * architectures than x86-64 get the baseline set only. No multiply-add is fused, so that
 * every set rounds as the others (and as Swift code does). */
#pragma STDC FP_CONTRACT OFF
#pragma clang fp contract(off)
#define INLINE static inline __attribute__((always_inline))

#if defined(__x86_64__) || defined(__i386__)
#define LOCKSTEP_X86 1
#define TARGET __attribute__((target("avx512f,avx512dq,avx512bw,avx512vl,avx2,fma")))
#define NAME(f) avx512_##f
#include "winograd_body.h"
#include "convert_body.h"
#undef TARGET
#undef NAME

#define TARGET __attribute__((target("avx2,fma")))
#define NAME(f) avx2_##f
#include "winograd_body.h"
#include "convert_body.h"
#undef TARGET
#undef NAME
#endif

#define TARGET
#define NAME(f) baseline_##f
#include "winograd_body.h"
#include "convert_body.h"
#undef TARGET
#undef NAME

struct kernels {
    void (*kernels)(const float *, int, int, int, int, float *);
    void (*input)(const float *, int, int, int, int, int, int, int, int, long, int, int, float *, float *);
    void (*output)(const float *, int, int, int, int, long, const float *, int, int, float *, float *);
    void (*output_gradient)(const float *, int, int, int, int, long, int, int, float *, float *);
    void (*kernel_gradient)(const float *, int, int, int, int, float *);
    void (*bytes_to_floats)(const unsigned char *, long, float, float, float *);
};

#define TABLE(prefix) { prefix##_kernels, prefix##_input, prefix##_output, prefix##_output_gradient, prefix##_kernel_gradient, \
                        prefix##_bytes_to_floats }
static const struct kernels tables[] = {
    TABLE(baseline),
#ifdef LOCKSTEP_X86
    TABLE(avx2), TABLE(avx512),
#endif
};

int lockstep_kernels_best_level(void) {
#ifndef LOCKSTEP_X86
    return LOCKSTEP_KERNELS_BASELINE;
#else
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512bw")
        && __builtin_cpu_supports("avx512vl")) return LOCKSTEP_KERNELS_AVX512;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return LOCKSTEP_KERNELS_AVX2;
    return LOCKSTEP_KERNELS_BASELINE;
#endif
}

/* -1 until first use; then the level in use. Threads may race to decide it first: they all
 * decide the same, and the accesses are atomic. */
static int current = -1;

int lockstep_kernels_requested_level(void) {
    const char *asked = getenv("LOCKSTEP_KERNELS");
    if (!asked || !*asked) return -1;
    if (!strcasecmp(asked, "baseline")) return LOCKSTEP_KERNELS_BASELINE;
    if (!strcasecmp(asked, "avx2")) return LOCKSTEP_KERNELS_AVX2;
    if (!strcasecmp(asked, "avx512")) return LOCKSTEP_KERNELS_AVX512;
    return -2;
}

int lockstep_kernels_level(void) {
    int level = __atomic_load_n(&current, __ATOMIC_RELAXED);
    if (level < 0) {
        int best = lockstep_kernels_best_level(), asked = lockstep_kernels_requested_level();
        level = asked >= 0 && asked <= best ? asked : best;
        __atomic_store_n(&current, level, __ATOMIC_RELAXED);
    }
    return level;
}

int lockstep_kernels_set_level(int level) {
    if (level < LOCKSTEP_KERNELS_BASELINE || level > lockstep_kernels_best_level()) return 0;
    __atomic_store_n(&current, level, __ATOMIC_RELAXED);
    return 1;
}

#define ACTIVE (&tables[lockstep_kernels_level()])

long lockstep_winograd_input_scratch(int out_h, int out_w, int samples) {
    long th = (out_h + 1) / 2, tw = (out_w + 1) / 2;
    return (2 * th + 2) * (2 * tw + 2) + 8 * 2 * samples * th * tw;
}

long lockstep_winograd_output_scratch(int out_h, int out_w, int samples) {
    return 4L * samples * ((out_h + 1) / 2) * ((out_w + 1) / 2);
}

void lockstep_winograd_kernels(const float *w, int k, int c, int first, int end, float *u) {
    ACTIVE->kernels(w, k, c, first, end, u);
}

void lockstep_winograd_input(const float *x, int channels, int height, int width, int pad_h, int pad_w,
                             int out_h, int out_w, int samples, long in_stride, int first, int end,
                             float *v, float *scratch) {
    ACTIVE->input(x, channels, height, width, pad_h, pad_w, out_h, out_w, samples, in_stride, first, end, v, scratch);
}

void lockstep_winograd_output(const float *m, int k, int out_h, int out_w, int samples, long out_stride,
                              const float *bias, int first, int end, float *y, float *scratch) {
    ACTIVE->output(m, k, out_h, out_w, samples, out_stride, bias, first, end, y, scratch);
}

void lockstep_winograd_output_gradient(const float *dy, int k, int out_h, int out_w, int samples, long out_stride,
                                       int first, int end, float *g, float *scratch) {
    ACTIVE->output_gradient(dy, k, out_h, out_w, samples, out_stride, first, end, g, scratch);
}

void lockstep_winograd_kernel_gradient(const float *du, int k, int c, int first, int end, float *dw) {
    ACTIVE->kernel_gradient(du, k, c, first, end, dw);
}

void lockstep_bytes_to_floats(const unsigned char *src, long count, float a, float b, float *dst) {
    ACTIVE->bytes_to_floats(src, count, a, b, dst);
}
