// Dispatch on the file's signature, and the shared helpers.
#include "codec_internal.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void lockstep_codec_error(char *error, size_t error_size, const char *format, ...) {
    if (error == NULL || error_size == 0) return;
    va_list args;
    va_start(args, format);
    vsnprintf(error, error_size, format, args);
    va_end(args);
}

int lockstep_image_decode(const unsigned char *data, size_t size, lockstep_image *image, char *error, size_t error_size) {
    memset(image, 0, sizeof *image);
    static const unsigned char png_signature[8] = {0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A};
    if (size >= 8 && memcmp(data, png_signature, 8) == 0) return lockstep_png_decode(data, size, image, error, error_size);
    if (size >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF)
        return lockstep_jpeg_decode(data, size, image, error, error_size);
    if (size == 0) {
        lockstep_codec_error(error, error_size, "the file is empty");
    } else {
        lockstep_codec_error(error, error_size, "not a JPEG or PNG file (its first bytes are neither signature)");
    }
    return -1;
}

void lockstep_image_free(lockstep_image *image) {
    free(image->pixels);
    image->pixels = NULL;
}
