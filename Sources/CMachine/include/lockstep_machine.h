#ifndef LOCKSTEP_MACHINE_H
#define LOCKSTEP_MACHINE_H
/* What this machine offers that Swift cannot ask directly: the CPU's instruction sets (cpuid
 * and xgetbv, the test OpenBLAS makes when it picks its kernels: an instruction set counts
 * only when the CPU has it and the OS saves its registers), and whether single-copy
 * memory transfer between processes (CMA, process_vm_readv) is allowed; a cache hint. */
#include <stdbool.h>

typedef struct {
    char vendor[13];   /* "GenuineIntel", "AuthenticAMD", … */
    char brand[49];    /* "Intel(R) Xeon(R) Processor", … (may be empty) */
    bool sse3;
    bool avx;          /* AVX with the OS saving YMM state */
    bool avx2;
    bool fma;
    bool avx512f;      /* AVX-512 foundation with the OS saving ZMM and opmask state */
    bool avx512bw;
    bool avx512vl;
    bool avx512dq;
} lockstep_cpu_features;

/* Fills `out`; on a CPU that is not x86-64 every flag is false and the strings are empty. */
void lockstep_read_cpu_features(lockstep_cpu_features *out);

/* Whether process_vm_readv works on this process (Open MPI's single-copy "CMA" shared memory
 * uses it between ranks). Returns 0 when it does, else the errno (EPERM/ENOSYS when a seccomp
 * profile or the kernel forbids it). */
int lockstep_process_vm_readv_errno(void);

/* How much faster one process_vm_readv of `bytes` is than the two memcpy calls of a copy through
 * a shared buffer (best of `repeats` each, within this process): above 1, single-copy shared
 * memory pays. In VMs that pin pages slowly it can be several times slower. 0 on failure. */
double lockstep_single_copy_speedup(unsigned long bytes, int repeats);

/* Asks the CPU to start loading the `bytes` bytes at `p` into its caches: a hint, which never
 * faults. Gathering samples from scattered places in memory, hinting the next one while the
 * current one is converted halves the time (Swift has no prefetch of its own). */
static inline void lockstep_prefetch(const void *p, unsigned long bytes) {
    for (unsigned long offset = 0; offset < bytes; offset += 64) __builtin_prefetch((const char *)p + offset);
}

/* A stop request that must not be lost however early it comes: Slurm's warning signal before a
 * time limit (SIGUSR1) can land while the process starts (MPI start-up, the BLAS restart), where
 * its default action would kill it. lockstep_catch_stop_signal records `sig` from then on (an
 * async-signal-safe handler) and unblocks it; lockstep_block_stop_signal keeps it pending across
 * an exec (handlers are reset by exec, blocked and pending signals are not). */
void lockstep_catch_stop_signal(int sig);
void lockstep_block_stop_signal(int sig);
int lockstep_caught_stop_signal(void);
void lockstep_set_caught_stop_signal(int sig);

#endif
