#include <signal.h>
#include <string.h>

#include "lockstep_machine.h"

static volatile sig_atomic_t caught_stop_signal = 0;

static void record_stop_signal(int sig) { caught_stop_signal = sig; }

void lockstep_catch_stop_signal(int sig) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = record_stop_signal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    sigaction(sig, &action, NULL);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, sig);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
}

void lockstep_block_stop_signal(int sig) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, sig);
    sigprocmask(SIG_BLOCK, &set, NULL);
}

int lockstep_caught_stop_signal(void) { return caught_stop_signal; }

void lockstep_set_caught_stop_signal(int sig) { caught_stop_signal = sig; }

/* As early as this process can: while its libraries initialize, before main. */
__attribute__((constructor)) static void catch_stop_signal_at_load(void) { lockstep_catch_stop_signal(SIGUSR1); }
