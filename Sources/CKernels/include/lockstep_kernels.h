#ifndef LOCKSTEP_KERNELS_H
#define LOCKSTEP_KERNELS_H

/* Vector kernels that must use the CPU's widest vectors (Winograd's transforms, sample
 * conversion): compiled once per instruction set
 * (AVX-512, AVX2, baseline x86-64) and chosen at first use, since the Swift targets are built
 * for baseline x86-64 and so use 128-bit vectors only. The best set this CPU runs is used,
 * or the one LOCKSTEP_KERNELS names (baseline, avx2, avx512) if the CPU runs it. */

enum { LOCKSTEP_KERNELS_BASELINE = 0, LOCKSTEP_KERNELS_AVX2 = 1, LOCKSTEP_KERNELS_AVX512 = 2 };

/* The best set this CPU runs. */
int lockstep_kernels_best_level(void);
/* The set LOCKSTEP_KERNELS asks for: -1 when unset, -2 when it names none. */
int lockstep_kernels_requested_level(void);
/* The set in use (decided at the first call). */
int lockstep_kernels_level(void);
/* Uses `level` from now on; returns 0 (and changes nothing) if this CPU cannot run it. */
int lockstep_kernels_set_level(int level);

/* Winograd F(2x2, 3x3), the transforms around its GEMMs (see Winograd.swift for the algebra
 * and layouts). Each call handles channels [first, end) of a chunk of `samples` samples. */

/* U[xi, o, c] = (G w[o, c] G^T)[xi] for output channels o in [first, end); w is OIHW [k, c, 3, 3]. */
void lockstep_winograd_kernels(const float *w, int out_channels, int in_channels, int first, int end, float *u);

/* V[xi, c, tile] = (B^T d B)[xi] for input channels c in [first, end). `scratch` holds
 * lockstep_winograd_input_scratch(...) floats. */
void lockstep_winograd_input(const float *x, int channels, int height, int width, int pad_h, int pad_w,
                             int out_h, int out_w, int samples, long in_stride, int first, int end,
                             float *v, float *scratch);
long lockstep_winograd_input_scratch(int out_h, int out_w, int samples);

/* y[s, o] = A^T M A (+ bias[o]) for output channels o in [first, end); bias may be NULL.
 * `scratch` holds lockstep_winograd_output_scratch(...) floats. */
void lockstep_winograd_output(const float *m, int out_channels, int out_h, int out_w, int samples, long out_stride,
                              const float *bias, int first, int end, float *y, float *scratch);
long lockstep_winograd_output_scratch(int out_h, int out_w, int samples);

/* The weight gradient's transforms. G[xi, o, tile] = (A dY A^T)[xi] of dy's 2x2 tiles (0 past an
 * odd edge) for output channels o in [first, end); `scratch` holds
 * lockstep_winograd_output_scratch(...) floats. */
void lockstep_winograd_output_gradient(const float *dy, int out_channels, int out_h, int out_w, int samples,
                                       long out_stride, int first, int end, float *g, float *scratch);

/* dW[o, c] = G^T dU[o, c] G, overwritten, for output channels o in [first, end); dU as U. */
void lockstep_winograd_kernel_gradient(const float *du, int out_channels, int in_channels, int first, int end,
                                       float *dw);

/* dst[p] = (float)src[p] * a + b for p < count (samples stored as bytes, normalized). */
void lockstep_bytes_to_floats(const unsigned char *src, long count, float a, float b, float *dst);

#endif
