/* The Winograd kernels' bodies, included once per instruction set by winograd.c with
 * TARGET (the function attribute) and NAME(f) (the per-set name) defined. */

/* One output channel's kernels, g [c, 3, 3], into column `ci` of the 16 matrices at u. */
INLINE TARGET void NAME(transform_kernels)(const float *restrict g, int c, long plane, float *restrict u) {
    for (int ci = 0; ci < c; ci++) {
        const float *k = g + 9L * ci;
        float t[4][3];  /* G g, column by column */
        for (int j = 0; j < 3; j++) {
            float g0 = k[j], g1 = k[3 + j], g2 = k[6 + j];
            t[0][j] = g0;
            t[1][j] = 0.5f * (g0 + g1 + g2);
            t[2][j] = 0.5f * (g0 - g1 + g2);
            t[3][j] = g2;
        }
        for (int i = 0; i < 4; i++) {  /* (G g) G^T, row by row */
            u[(4 * i) * plane + ci] = t[i][0];
            u[(4 * i + 1) * plane + ci] = 0.5f * (t[i][0] + t[i][1] + t[i][2]);
            u[(4 * i + 2) * plane + ci] = 0.5f * (t[i][0] - t[i][1] + t[i][2]);
            u[(4 * i + 3) * plane + ci] = t[i][2];
        }
    }
}

TARGET static void NAME(kernels)(const float *w, int k, int c, int first, int end, float *u) {
    for (int o = first; o < end; o++) NAME(transform_kernels)(w + 9L * o * c, c, (long)k * c, u + (long)o * c);
}

/* Pass 1 for one row of tiles: the four row combinations B^T [r0; r1; r2; r3] over `count`
 * columns, as they are (e*) and shifted by two columns (s*). */
INLINE TARGET void NAME(combine_rows)(const float *restrict r0, const float *restrict r1, const float *restrict r2,
                         const float *restrict r3, int count,
                         float *restrict e0, float *restrict e1, float *restrict e2, float *restrict e3,
                         float *restrict s0, float *restrict s1, float *restrict s2, float *restrict s3) {
    for (int q = 0; q < count; q++) {
        e0[q] = r0[q] - r2[q];
        e1[q] = r1[q] + r2[q];
        e2[q] = r2[q] - r1[q];
        e3[q] = r1[q] - r3[q];
        s0[q] = r0[q + 2] - r2[q + 2];
        s1[q] = r1[q + 2] + r2[q + 2];
        s2[q] = r2[q + 2] - r1[q + 2];
        s3[q] = r1[q + 2] - r3[q + 2];
    }
}

/* Pass 2 for one row combination: tile n's columns are entries 2n, 2n + 1 of both. */
INLINE TARGET void NAME(split_columns)(const float *restrict e, const float *restrict s, long tiles,
                          float *restrict d0, float *restrict d1, float *restrict d2, float *restrict d3) {
    for (long n = 0; n < tiles; n++) {
        float a = e[2 * n], b = e[2 * n + 1], c = s[2 * n], d = s[2 * n + 1];
        d0[n] = a - c;
        d1[n] = b + c;
        d2[n] = c - b;
        d3[n] = b - d;
    }
}

TARGET static void NAME(input)(const float *x, int channels, int height, int width, int pad_h, int pad_w,
                             int out_h, int out_w, int samples, long in_stride, int first, int end,
                             float *v, float *scratch) {
    const int th = (out_h + 1) / 2, tw = (out_w + 1) / 2, wp = 2 * tw + 2, hp = 2 * th + 2, row = 2 * tw;
    const long t = (long)samples * th * tw, plane = (long)channels * t, half = 2 * t;
    float *padded = scratch, *comb = scratch + (long)hp * wp;
    memset(padded, 0, sizeof(float) * hp * wp);  /* only the interior is written below */
    for (int c = first; c < end; c++) {
        for (int s = 0; s < samples; s++) {
            const float *image = x + s * in_stride + (long)c * height * width;
            for (int iy = 0; iy < height; iy++)
                memcpy(padded + (long)(iy + pad_h) * wp + pad_w, image + (long)iy * width, sizeof(float) * width);
            for (int ty = 0; ty < th; ty++) {
                const float *r0 = padded + 2L * ty * wp;
                float *e = comb + ((long)s * th + ty) * row;
                NAME(combine_rows)(r0, r0 + wp, r0 + 2 * wp, r0 + 3 * wp, row, e, e + half, e + 2 * half, e + 3 * half,
                             e + 4 * half, e + 5 * half, e + 6 * half, e + 7 * half);
            }
        }
        for (int i = 0; i < 4; i++) {
            float *d = v + 4 * i * plane + (long)c * t;
            NAME(split_columns)(comb + i * half, comb + (4 + i) * half, t, d, d + plane, d + 2 * plane, d + 3 * plane);
        }
    }
}

/* The outputs of every tile: top[2n], top[2n + 1], bottom[2n], bottom[2n + 1] = A^T M_n A,
 * M_n[xi] = m[xi * plane + n]. */
INLINE TARGET void NAME(merge_tiles)(const float *restrict m, long plane, long tiles, float *restrict top, float *restrict bottom) {
    for (long n = 0; n < tiles; n++) {
        const float *p = m + n;
        float r00 = p[0] + p[4 * plane] + p[8 * plane], r01 = p[plane] + p[5 * plane] + p[9 * plane];
        float r02 = p[2 * plane] + p[6 * plane] + p[10 * plane], r03 = p[3 * plane] + p[7 * plane] + p[11 * plane];
        float r10 = p[4 * plane] - p[8 * plane] - p[12 * plane], r11 = p[5 * plane] - p[9 * plane] - p[13 * plane];
        float r12 = p[6 * plane] - p[10 * plane] - p[14 * plane], r13 = p[7 * plane] - p[11 * plane] - p[15 * plane];
        top[2 * n] = r00 + r01 + r02;
        top[2 * n + 1] = r01 - r02 - r03;
        bottom[2 * n] = r10 + r11 + r12;
        bottom[2 * n + 1] = r11 - r12 - r13;
    }
}

INLINE TARGET void NAME(emit)(const float *restrict row, float *restrict dst, int count, float bias) {
    for (int q = 0; q < count; q++) dst[q] = row[q] + bias;
}

TARGET static void NAME(output)(const float *m, int k, int out_h, int out_w, int samples, long out_stride,
                              const float *bias, int first, int end, float *y, float *scratch) {
    const int th = (out_h + 1) / 2, tw = (out_w + 1) / 2, row = 2 * tw;
    const long t = (long)samples * th * tw, plane = (long)k * t;
    float *top = scratch, *bottom = scratch + 2 * t;
    for (int o = first; o < end; o++) {
        NAME(merge_tiles)(m + (long)o * t, plane, t, top, bottom);
        float b = bias ? bias[o] : 0;
        for (int s = 0; s < samples; s++) {
            for (int ty = 0; ty < th; ty++) {
                float *dst = y + s * out_stride + ((long)o * out_h + 2 * ty) * out_w;
                long at = ((long)s * th + ty) * row;
                NAME(emit)(top + at, dst, out_w, b);
                if (2 * ty + 1 < out_h) NAME(emit)(bottom + at, dst + out_w, out_w, b);
            }
        }
    }
}

/* The weight gradient: dU[xi] = sum over tiles of (A dY A^T)[xi] V[xi], then dW = G^T dU G. */

/* A dY A^T of every tile, dY = [[a, b], [c, d]] = top[2n], top[2n + 1], bottom[2n], bottom[2n + 1]:
 * rows A dY = (a, b), (a + c, b + d), (a - c, b - d), (-c, -d), each times A^T: (x, y) ->
 * (x, x + y, x - y, -y). */
INLINE TARGET void NAME(spread_tiles)(const float *restrict top, const float *restrict bottom, long tiles, long plane,
                         float *restrict g) {
    for (long n = 0; n < tiles; n++) {
        float a = top[2 * n], b = top[2 * n + 1], c = bottom[2 * n], d = bottom[2 * n + 1];
        float x[4] = { a, a + c, a - c, -c }, y[4] = { b, b + d, b - d, -d };
        for (int i = 0; i < 4; i++) {
            g[(4 * i) * plane + n] = x[i];
            g[(4 * i + 1) * plane + n] = x[i] + y[i];
            g[(4 * i + 2) * plane + n] = x[i] - y[i];
            g[(4 * i + 3) * plane + n] = -y[i];
        }
    }
}

/* A row of dy into a row of pairs, 0 past an odd edge. */
INLINE TARGET void NAME(gather_row)(const float *restrict src, int count, int length, float *restrict dst) {
    for (int q = 0; q < count; q++) dst[q] = src[q];
    for (int q = count; q < length; q++) dst[q] = 0;
}

TARGET static void NAME(output_gradient)(const float *dy, int k, int out_h, int out_w, int samples, long out_stride,
                                       int first, int end, float *g, float *scratch) {
    const int th = (out_h + 1) / 2, tw = (out_w + 1) / 2, row = 2 * tw;
    const long t = (long)samples * th * tw, plane = (long)k * t;
    float *top = scratch, *bottom = scratch + 2 * t;
    for (int o = first; o < end; o++) {
        for (int s = 0; s < samples; s++) {
            for (int ty = 0; ty < th; ty++) {
                const float *src = dy + s * out_stride + ((long)o * out_h + 2 * ty) * out_w;
                long at = ((long)s * th + ty) * row;
                NAME(gather_row)(src, out_w, row, top + at);
                NAME(gather_row)(src + out_w, 2 * ty + 1 < out_h ? out_w : 0, row, bottom + at);
            }
        }
        NAME(spread_tiles)(top, bottom, t, plane, g + (long)o * t);
    }
}

/* dW[o, c] = G^T dU[o, c] G for output channels o in [first, end): G^T dU's rows are
 * u0 + (u1 + u2)/2, (u1 - u2)/2, (u1 + u2)/2 + u3, and each row (x0..x3) times G likewise. */
TARGET static void NAME(kernel_gradient)(const float *du, int k, int c, int first, int end, float *dw) {
    const long plane = (long)k * c;
    for (int o = first; o < end; o++) {
        for (int ci = 0; ci < c; ci++) {
            const float *u = du + (long)o * c + ci;
            float r[3][4];
            for (int j = 0; j < 4; j++) {
                float u0 = u[j * plane], u1 = u[(4 + j) * plane], u2 = u[(8 + j) * plane], u3 = u[(12 + j) * plane];
                r[0][j] = u0 + 0.5f * (u1 + u2);
                r[1][j] = 0.5f * (u1 - u2);
                r[2][j] = 0.5f * (u1 + u2) + u3;
            }
            float *w = dw + ((long)o * c + ci) * 9;
            for (int i = 0; i < 3; i++) {
                w[3 * i] = r[i][0] + 0.5f * (r[i][1] + r[i][2]);
                w[3 * i + 1] = 0.5f * (r[i][1] - r[i][2]);
                w[3 * i + 2] = 0.5f * (r[i][1] + r[i][2]) + r[i][3];
            }
        }
    }
}
