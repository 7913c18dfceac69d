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
    if (info.jpeg_color_space == JCS_CMYK || info.jpeg_color_space == JCS_YCCK) {
        lockstep_codec_error(error, error_size, "JPEG: CMYK images are not supported (convert it to RGB)");
        jpeg_destroy_decompress(&info);
        return -1;
    }
    info.out_color_space = info.num_components == 1 ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_start_decompress(&info);
    size_t row = (size_t)info.output_width * info.output_components;
    pixels = malloc(row * info.output_height);
    if (pixels == NULL) {
        lockstep_codec_error(error, error_size, "JPEG: out of memory for %ux%u pixels", info.output_width, info.output_height);
        jpeg_destroy_decompress(&info);
        return -1;
    }
    while (info.output_scanline < info.output_height) {
        JSAMPROW line = pixels + row * info.output_scanline;
        jpeg_read_scanlines(&info, &line, 1);
    }
    jpeg_finish_decompress(&info);
    image->width = (int)info.output_width;
    image->height = (int)info.output_height;
    image->channels = info.output_components;
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
