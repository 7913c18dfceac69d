#define _GNU_SOURCE
#include "lockstep_read_guard.h"
#include <malloc.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

/* SIGABRT too: a damaged file can make libhdf5 write past a heap block, and glibc then aborts
 * ("corrupted double-linked list") inside the read instead of a segmentation fault. */
static const int guarded_signals[] = { SIGSEGV, SIGBUS, SIGFPE, SIGABRT };
#define GUARDED_COUNT (sizeof guarded_signals / sizeof guarded_signals[0])

static struct sigaction previous[GUARDED_COUNT];
static char label[256] = "lockstep";

static __thread const char *reading_path;
static __thread int reading_depth;

static const char *signal_name(int sig) {
    switch (sig) {
    case SIGSEGV: return "SIGSEGV";
    case SIGBUS: return "SIGBUS";
    case SIGABRT: return "SIGABRT";
    default: return "SIGFPE";
    }
}

/* The rank's log file, which gets the error line too (-1: none). */
static volatile int log_fd = -1;

/* write(2) only: the process state is not to be trusted any more. */
static void say_to(int fd, const char *text) {
    size_t left = strlen(text);
    while (left > 0) {
        ssize_t n = write(fd, text, left);
        if (n <= 0) return;
        text += n;
        left -= (size_t)n;
    }
}

static void say(const char *text) {
    say_to(STDERR_FILENO, text);
    if (log_fd >= 0) say_to(log_fd, text);
}

static void on_fatal_signal(int sig, siginfo_t *info, void *context) {
    (void)context;
    const char *path = reading_path;
    /* Sent by someone (kill, scancel --signal), or an abort() from another process: not a crash of
     * this read. A fault (SIGSEGV, SIGBUS, SIGFPE) has si_code > 0; abort() raises SIGABRT at itself. */
    int sent = info != NULL && (info->si_code <= 0) && !(sig == SIGABRT && info->si_pid == getpid());
    if (path == NULL || sent) {
        /* Not ours: hand the signal back to whoever had it. A fault runs its instruction again
         * under that handler; a signal that was sent or raised is raised again (it stays pending
         * until this handler returns). */
        for (unsigned i = 0; i < GUARDED_COUNT; i++)
            if (guarded_signals[i] == sig) sigaction(sig, &previous[i], NULL);
        if (info == NULL || info->si_code <= 0) raise(sig);
        return;
    }
    say(label);
    say(": error: libhdf5 crashed (");
    say(signal_name(sig));
    say(") reading ");
    say(path);
    say(": the file is damaged, or was changed while it was read. Replace it with an intact copy "
        "(compare `sha256sum` with the source's); libhdf5 does not check files against damage.\n");
    _exit(1);
}

void lockstep_read_guard_install(const char *text) {
    strncpy(label, text, sizeof label - 1);
    label[sizeof label - 1] = 0;
    for (unsigned i = 0; i < GUARDED_COUNT; i++) {
        struct sigaction current;
        sigaction(guarded_signals[i], NULL, &current);
        if ((current.sa_flags & SA_SIGINFO) && current.sa_sigaction == on_fatal_signal) continue;
        struct sigaction mine;
        memset(&mine, 0, sizeof mine);
        mine.sa_sigaction = on_fatal_signal;
        /* SA_ONSTACK: the Swift runtime gives threads an alternate signal stack, so a stack
         * overflow can still be reported; keep using it. */
        mine.sa_flags = SA_SIGINFO | SA_ONSTACK;
        sigemptyset(&mine.sa_mask);
        previous[i] = current;
        sigaction(guarded_signals[i], &mine, NULL);
    }
}

void lockstep_read_guard_set_log(int fd) { log_fd = fd; }

void lockstep_read_guard_enter(const char *path) {
    if (reading_depth++ == 0) reading_path = path;
}

void lockstep_read_guard_leave(void) {
    if (reading_depth > 0 && --reading_depth == 0) reading_path = NULL;
}

void lockstep_read_guard_check_heap(void) { malloc_trim(0); }
