#ifndef LOCKSTEP_IMAGE_CODEC_H
#define LOCKSTEP_IMAGE_CODEC_H
// JPEG and PNG through libjpeg-turbo and libpng. Both report errors by longjmp, which Swift
// cannot catch, so the calls live here and return a status plus a message instead.
#include <stddef.h>

// A decoded image: 8-bit samples, rows of width × channels bytes (HWC), channels 1 (gray) or 3 (RGB).
typedef struct {
    int width;
    int height;
    int channels;
    unsigned char *pixels;  // malloc'd; free with lockstep_image_free
} lockstep_image;

// Decodes a JPEG or PNG held in memory, as PIL's convert to "L"/"RGB" would: palettes expanded,
// 16-bit samples cut to their high byte, alpha dropped (not composited), grayscale kept as one
// channel. Returns 0, or -1 with a message in `error` (a damaged, truncated or unknown file).
int lockstep_image_decode(const unsigned char *data, size_t size, lockstep_image *image, char *error, size_t error_size);

void lockstep_image_free(lockstep_image *image);

// Writes `pixels` (HWC, channels 1 or 3) as a PNG or a JPEG (quality 1–100). 0, or -1 with a message.
int lockstep_png_write(const char *path, const unsigned char *pixels, int width, int height, int channels,
                       char *error, size_t error_size);
int lockstep_jpeg_write(const char *path, const unsigned char *pixels, int width, int height, int channels,
                        int quality, char *error, size_t error_size);

#endif
