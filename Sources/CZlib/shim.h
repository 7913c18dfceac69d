#ifndef LOCKSTEP_CZLIB_SHIM_H
#define LOCKSTEP_CZLIB_SHIM_H
#include <zlib.h>
#endif
