/* Sample conversion's body, included once per instruction set by kernels.c with TARGET and
 * NAME(f) defined. */

/* dst[p] = (float)src[p] * a + b: stored bytes to normalized floats (not fused: the product
 * is rounded before the sum, as everywhere else, so every set gives the same bits). */
TARGET static void NAME(bytes_to_floats)(const unsigned char *restrict src, long count, float a, float b,
                                         float *restrict dst) {
    for (long p = 0; p < count; p++) dst[p] = (float)src[p] * a + b;
}
