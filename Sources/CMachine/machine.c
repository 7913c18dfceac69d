#define _GNU_SOURCE
#include "lockstep_machine.h"
#include <errno.h>
#include <stdlib.h>
#include <time.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

int lockstep_process_vm_readv_errno(void) {
    int source = 42, target = 0;
    struct iovec local = { &target, sizeof target }, remote = { &source, sizeof source };
    ssize_t n = process_vm_readv(getpid(), &local, 1, &remote, 1, 0);
    if (n == (ssize_t)sizeof target && target == source) return 0;
    return n < 0 ? errno : EIO;
}

static double seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

double lockstep_single_copy_speedup(unsigned long bytes, int repeats) {
    char *a = malloc(bytes), *b = malloc(bytes);
    if (!a || !b || repeats < 1) { free(a); free(b); return 0; }
    memset(a, 1, bytes);
    memset(b, 2, bytes);
    struct iovec local = { b, bytes }, remote = { a, bytes };
    double copy = 1e30, single = 1e30;  /* the best of `repeats` of each, alternated */
    for (int i = 0; i < repeats; i++) {
        double t = seconds();
        memcpy(b, a, bytes);
        double m = seconds() - t;
        if (m < copy) copy = m;
        t = seconds();
        ssize_t n = process_vm_readv(getpid(), &local, 1, &remote, 1, 0);
        double r = seconds() - t;
        if (n != (ssize_t)bytes) { free(a); free(b); return 0; }
        if (r < single) single = r;
    }
    free(a);
    free(b);
    return single > 0 ? 2 * copy / single : 0;
}

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>

static unsigned long long read_xcr0(void) {
    unsigned int eax, edx;
    __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
    return ((unsigned long long)edx << 32) | eax;
}

void lockstep_read_cpu_features(lockstep_cpu_features *out) {
    memset(out, 0, sizeof *out);
    unsigned int eax, ebx, ecx, edx;
    if (!__get_cpuid(0, &eax, &ebx, &ecx, &edx)) return;
    unsigned int max_leaf = eax;
    memcpy(out->vendor, &ebx, 4);
    memcpy(out->vendor + 4, &edx, 4);
    memcpy(out->vendor + 8, &ecx, 4);

    __get_cpuid(1, &eax, &ebx, &ecx, &edx);
    out->sse3 = ecx & 1u;
    bool osxsave = (ecx >> 27) & 1u;
    bool avx_bit = (ecx >> 28) & 1u;
    out->fma = (ecx >> 12) & 1u;
    unsigned long long xcr0 = osxsave ? read_xcr0() : 0;
    bool ymm_saved = (xcr0 & 0x6) == 0x6;            /* XMM and YMM state */
    bool zmm_saved = ymm_saved && (xcr0 & 0xe0) == 0xe0; /* opmask, ZMM_Hi256, Hi16_ZMM */
    out->avx = avx_bit && ymm_saved;
    out->fma = out->fma && out->avx;

    if (max_leaf >= 7) {
        __get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx);
        out->avx2 = out->avx && ((ebx >> 5) & 1u);
        out->avx512f = zmm_saved && ((ebx >> 16) & 1u);
        out->avx512dq = out->avx512f && ((ebx >> 17) & 1u);
        out->avx512bw = out->avx512f && ((ebx >> 30) & 1u);
        out->avx512vl = out->avx512f && ((ebx >> 31) & 1u);
    }

    unsigned int brand[12];
    if (__get_cpuid(0x80000000, &eax, &ebx, &ecx, &edx) && eax >= 0x80000004) {
        for (unsigned int i = 0; i < 3; i++)
            __get_cpuid(0x80000002 + i, &brand[4 * i], &brand[4 * i + 1], &brand[4 * i + 2], &brand[4 * i + 3]);
        memcpy(out->brand, brand, 48);
        out->brand[48] = 0;
    }
}
#else
void lockstep_read_cpu_features(lockstep_cpu_features *out) { memset(out, 0, sizeof *out); }
#endif
