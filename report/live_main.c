/*
 * live_main.c - nm-live: options, nm_live_run(), the error, the exit status
 * (0 ok, 2 usage error or unreadable database).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "live.h"

static void usage(FILE *fp)
{
    fprintf(fp, "usage: nm-live [-d DATABASE] [-s SESSION] [--plain] [--once]\n"
                "  -d DATABASE  netmon database written by nm-capture (default netmon.db)\n"
                "  -s SESSION   session id to show (default: follow the newest)\n"
                "  --plain      text summaries (the default; the dashboard is not written yet)\n"
                "  --once       print the summaries once for the current data and exit\n");
}

int main(int argc, char **argv)
{
    struct nm_live_opts o = { "netmon.db", 0, false, true };
    char err[1024];

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--plain") == 0) {
            o.plain = true;
        } else if (strcmp(a, "--once") == 0) {
            o.once = true;
        } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            return 0;
        } else if ((strcmp(a, "-d") == 0 || strcmp(a, "-s") == 0) && i + 1 < argc) {
            const char *v = argv[++i];
            if (a[1] == 'd') {
                o.db_path = v;
            } else {
                char *end;
                errno = 0;
                long long id = strtoll(v, &end, 10);
                if (errno != 0 || end == v || *end != '\0' || id <= 0) {
                    fprintf(stderr, "nm-live: -s %s: not a session id (a positive integer)\n",
                            v);
                    return 2;
                }
                o.session_id = id;
            }
        } else {
            fprintf(stderr, "nm-live: %s: unknown option or missing value\n", a);
            usage(stderr);
            return 2;
        }
    }
    /* Only text output exists; a terminal gets it too until the dashboard. */
    o.plain = true;
    if (nm_live_run(&o, stdout, err, sizeof err) != 0) {
        fprintf(stderr, "nm-live: %s\n", err);
        return 2;
    }
    return 0;
}
