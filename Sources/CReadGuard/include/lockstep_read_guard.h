#ifndef LOCKSTEP_READ_GUARD_H
#define LOCKSTEP_READ_GUARD_H
/* libhdf5 1.10 is not safe against damaged files: some flipped bytes make it read through a
 * wild pointer (SIGSEGV, SIGBUS) or divide by a zero it read (SIGFPE). This guard turns such a
 * crash into an error line naming the file, and exit code 1, instead of a core dump.
 *
 * A thread marks the file it is reading through libhdf5 (enter/leave, nestable). A fatal
 * signal on a thread that is inside a read prints
 *     LABEL: error: libhdf5 crashed (SIGSEGV) reading FILE: ...
 * and ends the process with `_exit(1)`. A fatal signal anywhere else is passed on to the
 * handler that was installed before (Swift's backtracer, Open MPI's), unchanged. */

/* Installs the handlers for SIGSEGV, SIGBUS and SIGFPE, remembering the ones in place, and
 * sets LABEL ("rank 0@host", "lockstep inspect"), copied. Installing again only replaces
 * the label, unless another handler replaced ours since (Open MPI's MPI_Init does), in
 * which case ours goes back on top of it. */
void lockstep_read_guard_install(const char *label);

/* The error line also goes to FD (the rank's log file), when FD >= 0. */
void lockstep_read_guard_set_log(int fd);

/* This thread starts reading PATH (which must stay valid until the matching leave). */
void lockstep_read_guard_enter(const char *path);

/* This thread stops reading the file of the matching enter. */
void lockstep_read_guard_leave(void);

/* Makes glibc's allocator consolidate its free lists (malloc_trim), which aborts on most heap
 * damage: called while a file is still marked as being read, the damage is reported as its. */
void lockstep_read_guard_check_heap(void);

#endif
