// PNG through libpng: decoding from memory, encoding to a file.
#include "codec_internal.h"
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const unsigned char *data;
    size_t size;
    size_t offset;
    char *error;
    size_t error_size;
} png_source;

static void png_fail(png_structp png, png_const_charp message) {
    png_source *source = png_get_error_ptr(png);
    lockstep_codec_error(source->error, source->error_size, "PNG: %s", message);
    png_longjmp(png, 1);
}

static void png_quiet(png_structp png, png_const_charp message) {
    (void)png;
    (void)message;
}

static void png_read_memory(png_structp png, png_bytep out, png_size_t count) {
    png_source *source = png_get_io_ptr(png);
    if (count > source->size - source->offset) png_error(png, "the file ends early (truncated)");
    memcpy(out, source->data + source->offset, count);
    source->offset += count;
}

int lockstep_png_decode(const unsigned char *data, size_t size, lockstep_image *image, char *error, size_t error_size) {
    png_source source = {.data = data, .size = size, .error = error, .error_size = error_size};
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &source, png_fail, png_quiet);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (info == NULL) {
        png_destroy_read_struct(&png, NULL, NULL);
        lockstep_codec_error(error, error_size, "PNG: out of memory");
        return -1;
    }
    unsigned char *volatile pixels = NULL;
    png_bytep *volatile rows = NULL;
    if (setjmp(png_jmpbuf(png))) {
        free(pixels);
        free(rows);
        png_destroy_read_struct(&png, &info, NULL);
        return -1;
    }
    png_set_read_fn(png, &source, png_read_memory);
    png_read_info(png, info);
    png_set_expand(png);        // palette → RGB, gray below 8 bits → 8 bits, tRNS → alpha
    png_set_strip_16(png);      // 16-bit samples → their high byte
    png_set_strip_alpha(png);   // alpha dropped, as PIL's convert("RGB") does
    png_set_interlace_handling(png);
    png_read_update_info(png, info);
    png_uint_32 width = png_get_image_width(png, info), height = png_get_image_height(png, info);
    int channels = png_get_channels(png, info);
    size_t row = png_get_rowbytes(png, info);
    if (channels != 1 && channels != 3) png_error(png, "unexpected channel count after conversion");
    pixels = malloc(row * height);
    rows = malloc(sizeof(png_bytep) * height);
    if (pixels == NULL || rows == NULL) png_error(png, "out of memory for the pixels");
    for (png_uint_32 y = 0; y < height; y++) rows[y] = pixels + row * y;
    png_read_image(png, rows);
    png_read_end(png, NULL);
    free(rows);
    png_destroy_read_struct(&png, &info, NULL);
    image->width = (int)width;
    image->height = (int)height;
    image->channels = channels;
    image->pixels = pixels;
    return 0;
}

int lockstep_png_write(const char *path, const unsigned char *pixels, int width, int height, int channels,
                       char *error, size_t error_size) {
    FILE *volatile file = fopen(path, "wb");
    if (file == NULL) {
        lockstep_codec_error(error, error_size, "cannot create the file");
        return -1;
    }
    png_source sink = {.error = error, .error_size = error_size};
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &sink, png_fail, png_quiet);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (info == NULL || setjmp(png_jmpbuf(png))) {
        if (info == NULL) lockstep_codec_error(error, error_size, "PNG: out of memory");
        png_destroy_write_struct(&png, &info);
        fclose(file);
        return -1;
    }
    png_init_io(png, file);
    png_set_IHDR(png, info, (png_uint_32)width, (png_uint_32)height, 8, channels == 1 ? PNG_COLOR_TYPE_GRAY : PNG_COLOR_TYPE_RGB,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    for (int y = 0; y < height; y++) png_write_row(png, (png_const_bytep)(pixels + (size_t)width * channels * y));
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    if (fclose(file) != 0) {
        lockstep_codec_error(error, error_size, "writing the file failed");
        return -1;
    }
    return 0;
}
