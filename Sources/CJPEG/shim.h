#ifndef LOCKSTEP_CJPEG_SHIM_H
#define LOCKSTEP_CJPEG_SHIM_H
#include <stdio.h>
#include <jpeglib.h>
#endif
