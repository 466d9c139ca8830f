/*
 * run.h - one nm-capture run: source -> decode -> analyze -> writer.
 */
#ifndef NM_RUN_H
#define NM_RUN_H

#include <stdbool.h>

#include "options.h"
#include "../schema/summary.h"

/* Exit statuses (documented in the README and nm-capture -h). */
enum nm_exit {
    NM_EXIT_OK = 0,          /* end of input, -c, duration or a signal */
    NM_EXIT_INPUT = 1,       /* input cut short or unreadable part-way; what was read is saved */
    NM_EXIT_USAGE = 2,       /* bad command line, or cannot start (input, database) */
    NM_EXIT_WRITE = 3,       /* database or event-log write failed mid-run */
    NM_EXIT_INTERRUPTED = 130, /* a second Ctrl+C: stopped without draining */
};

struct nm_run_result {
    int exit_status;
    char message[1024];      /* error or warning for stderr, "" if none */
    bool have_summary;
    struct nm_summary summary;
};

/* Runs a capture as the options say.  Never prints: the caller reports
 * result->message and the summary. */
void nm_capture_run(const struct nm_options *opt, struct nm_run_result *result);

#endif /* NM_RUN_H */
