/*
 * live_main.c - nm-live: options, then the dashboard (a terminal) or the
 * text summaries (--plain, --once, or output that is not a terminal); the
 * error; the exit status (0 ok, 2 usage error or unreadable database).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dashboard.h"
#include "live.h"

static void usage(FILE *fp)
{
    fprintf(fp, "Usage: nm-live [-d DATABASE] [-s SESSION] [-n SECONDS] [--plain] [--once]\n"
                "  -d DATABASE  netmon database written by nm-capture (default netmon.db)\n"
                "  -s SESSION   session id to show (default: follow the newest)\n"
                "  -n SECONDS   dashboard refresh interval, 0.2 to 60 (default 1)\n"
                "  --plain      text summaries every 10 s and 30 s, also on a terminal\n"
                "  --once       print the text summaries once for the current data and exit\n"
                "  -h, --help   this help;  -V, --version  the version\n"
                "On a terminal nm-live shows a dashboard (keys: q quit, tab or 1-4 views,\n"
                "p pause, s older session, f follow newest, r refresh, up/down protocol);\n"
                "otherwise it prints the text summaries.\n"
                "Exit status: 0 done, 2 usage error or unreadable database.\n");
}

/* A usage error: one line ("OPTION VALUE: why"), and where to find help. */
static int usage_error(const char *option, const char *value, const char *why)
{
    fprintf(stderr, "nm-live: %s%s%s: %s\nTry 'nm-live -h' for help.\n", option,
            value ? " " : "", value ? value : "", why);
    return 2;
}

int main(int argc, char **argv)
{
    struct nm_live_opts o = { "netmon.db", 0, false, false };
    double interval_s = 1.0;
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
        } else if (strcmp(a, "-V") == 0 || strcmp(a, "--version") == 0) {
            printf("nm-live (netmon) %s\n", NM_VERSION);
            return 0;
        } else if (strcmp(a, "-d") == 0 || strcmp(a, "-s") == 0 || strcmp(a, "-n") == 0) {
            if (i + 1 >= argc)
                return usage_error(a, NULL, "needs a value");
            const char *v = argv[++i];
            char *end;
            errno = 0;
            if (a[1] == 'd') {
                if (*v == '\0')
                    return usage_error(a, NULL, "needs a file name");
                o.db_path = v;
            } else if (a[1] == 'n') {
                interval_s = strtod(v, &end);
                if (errno != 0 || end == v || *end != '\0' || !isfinite(interval_s) ||
                    interval_s < 0.2 || interval_s > 60)
                    return usage_error(a, v, "not an interval from 0.2 to 60 seconds");
            } else {
                long long id = strtoll(v, &end, 10);
                if (errno != 0 || end == v || *end != '\0' || id <= 0)
                    return usage_error(a, v, "not a session id (a positive integer)");
                o.session_id = id;
            }
        } else {
            return usage_error(a, NULL, "unknown option");
        }
    }
    if (!o.plain && !o.once && nm_dashboard_usable()) {
        struct nm_dashboard_opts d = { o.db_path, o.session_id, (int)(interval_s * 1000) };
        if (nm_dashboard_run(&d, err, sizeof err) != 0) {
            fprintf(stderr, "nm-live: %s\n", err);
            return 2;
        }
        return 0;
    }
    o.plain = true;
    if (nm_live_run(&o, stdout, err, sizeof err) != 0) {
        fprintf(stderr, "nm-live: %s\n", err);
        return 2;
    }
    return 0;
}
