#ifndef LOCKSTEP_CPNG_SHIM_H
#define LOCKSTEP_CPNG_SHIM_H
#include <png.h>
#endif
