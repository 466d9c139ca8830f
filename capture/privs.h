/*
 * privs.h - nm-capture -Z USER: give up root once the capture is open, as
 * tcpdump does.  Capturing needs CAP_NET_RAW (and CAP_NET_ADMIN for
 * promiscuous mode); parsing hostile packet bytes does not, so the rest of
 * the run happens as USER.
 */
#ifndef NM_PRIVS_H
#define NM_PRIVS_H

#include <stddef.h>

/* 0 if USER names an account; otherwise -1 with "-Z USER: no such user". */
int nm_privs_check_user(const char *user, char *errbuf, size_t errlen)
    __attribute__((warn_unused_result));

/*
 * Hands the files and folders in `paths` (not what is inside a folder; NULL
 * entries and missing files are skipped) to USER and its group, so that they stay writable after the switch; then
 * switches the process to USER: supplementary groups (initgroups), group,
 * user, in that order (after setuid() the others are no longer allowed).
 * Checks that root cannot be regained.  Call before starting threads.
 * Returns 0, or -1 with a one-line message naming USER and the cause (e.g.
 * not running as root); the process's identity is then unspecified and
 * the caller must stop.
 */
int nm_privs_drop(const char *user, const char *const *paths, size_t npaths, char *errbuf,
                  size_t errlen) __attribute__((warn_unused_result));

#endif /* NM_PRIVS_H */
