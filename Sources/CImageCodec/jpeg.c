// JPEG through libjpeg(-turbo): decoding from memory, encoding to a file.
#include "codec_internal.h"
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <jpeglib.h>
#include <jerror.h>

typedef struct {
    struct jpeg_error_mgr manager;
    jmp_buf escape;
    char *error;
    size_t error_size;
} jpeg_failure;

static void jpeg_fail(j_common_ptr info) {
    jpeg_failure *failure = (jpeg_failure *)info->err;
    char message[JMSG_LENGTH_MAX];
    info->err->format_message(info, message);
    lockstep_codec_error(failure->error, failure->error_size, "JPEG: %s", message);
    longjmp(failure->escape, 1);
}

// A file that ends early only warns in libjpeg (the rest is painted grey); here it is an error,
// like every other damage. Other warnings (extraneous bytes, say) decode fine and are ignored.
static void jpeg_warn(j_common_ptr info, int level) {
    if (level < 0 && info->err->msg_code == JWRN_JPEG_EOF) jpeg_fail(info);
}

// Pillow's reading of a CMYK JPEG: the stored inks are inverted (Adobe's convention, which
// Pillow assumes for every CMYK JPEG), then each of R, G, B is (255 - K) - C × (255 - K) / 255,
// rounded as Pillow's MULDIV255.
void lockstep_cmyk_to_rgb(const unsigned char *stored, unsigned char *rgb, unsigned width) {
    for (unsigned x = 0; x < width; x++) {
        int white = stored[4 * x + 3];  // 255 - K
        for (int c = 0; c < 3; c++) {
            int ink = 255 - stored[4 * x + c], t = ink * white + 128;
            int v = white - (((t >> 8) + t) >> 8);
            rgb[3 * x + c] = (unsigned char)(v < 0 ? 0 : v > 255 ? 255 : v);
        }
    }
}

int lockstep_jpeg_decode(const unsigned char *data, size_t size, lockstep_image *image, char *error, size_t error_size) {
    struct jpeg_decompress_struct info;
    jpeg_failure failure = {.error = error, .error_size = error_size};
    info.err = jpeg_std_error(&failure.manager);
    failure.manager.error_exit = jpeg_fail;
    failure.manager.emit_message = jpeg_warn;
    unsigned char *volatile pixels = NULL;
    if (setjmp(failure.escape)) {
        free(pixels);
        jpeg_destroy_decompress(&info);
        return -1;
    }
    jpeg_create_decompress(&info);
    jpeg_mem_src(&info, data, (unsigned long)size);
    jpeg_read_header(&info, TRUE);
    // CMYK and YCCK (which libjpeg turns into CMYK) come out as RGB, as Pillow gives them.
    int cmyk = info.jpeg_color_space == JCS_CMYK || info.jpeg_color_space == JCS_YCCK;
    info.out_color_space = cmyk ? JCS_CMYK : info.num_components == 1 ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_start_decompress(&info);
    int channels = cmyk ? 3 : info.output_components;
    size_t row = (size_t)info.output_width * channels;
    pixels = malloc(row * info.output_height + (cmyk ? (size_t)info.output_width * 4 : 0));
    if (pixels == NULL) {
        lockstep_codec_error(error, error_size, "JPEG: out of memory for %ux%u pixels", info.output_width, info.output_height);
        jpeg_destroy_decompress(&info);
        return -1;
    }
    unsigned char *ink = pixels + row * info.output_height;  // one CMYK row, when there is one
    while (info.output_scanline < info.output_height) {
        JSAMPROW line = cmyk ? ink : pixels + row * info.output_scanline;
        unsigned char *rgb = pixels + row * info.output_scanline;
        jpeg_read_scanlines(&info, &line, 1);
        if (cmyk) lockstep_cmyk_to_rgb(ink, rgb, info.output_width);
    }
    jpeg_finish_decompress(&info);
    image->width = (int)info.output_width;
    image->height = (int)info.output_height;
    image->channels = channels;
    image->pixels = pixels;
    jpeg_destroy_decompress(&info);
    return 0;
}

int lockstep_jpeg_write(const char *path, const unsigned char *pixels, int width, int height, int channels,
                        int quality, char *error, size_t error_size) {
    FILE *volatile file = fopen(path, "wb");
    if (file == NULL) {
        lockstep_codec_error(error, error_size, "cannot create the file");
        return -1;
    }
    struct jpeg_compress_struct info;
    jpeg_failure failure = {.error = error, .error_size = error_size};
    info.err = jpeg_std_error(&failure.manager);
    failure.manager.error_exit = jpeg_fail;
    if (setjmp(failure.escape)) {
        jpeg_destroy_compress(&info);
        fclose(file);
        return -1;
    }
    jpeg_create_compress(&info);
    jpeg_stdio_dest(&info, file);
    info.image_width = (JDIMENSION)width;
    info.image_height = (JDIMENSION)height;
    info.input_components = channels;
    info.in_color_space = channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_set_defaults(&info);
    jpeg_set_quality(&info, quality, TRUE);
    jpeg_start_compress(&info, TRUE);
    size_t row = (size_t)width * channels;
    while (info.next_scanline < info.image_height) {
        JSAMPROW line = (JSAMPROW)(pixels + row * info.next_scanline);
        jpeg_write_scanlines(&info, &line, 1);
    }
    jpeg_finish_compress(&info);
    jpeg_destroy_compress(&info);
    if (fclose(file) != 0) {
        lockstep_codec_error(error, error_size, "writing the file failed");
        return -1;
    }
    return 0;
}
