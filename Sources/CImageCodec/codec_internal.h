#ifndef LOCKSTEP_CODEC_INTERNAL_H
#define LOCKSTEP_CODEC_INTERNAL_H
#include "lockstep_image_codec.h"

void lockstep_codec_error(char *error, size_t error_size, const char *format, ...);
int lockstep_png_decode(const unsigned char *data, size_t size, lockstep_image *image, char *error, size_t error_size);
int lockstep_jpeg_decode(const unsigned char *data, size_t size, lockstep_image *image, char *error, size_t error_size);
void lockstep_cmyk_to_rgb(const unsigned char *stored, unsigned char *rgb, unsigned width);

#endif
