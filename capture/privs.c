/*
 * privs.c - dropping root after the capture is open (see privs.h).
 */
#include "privs.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* getpwnam() reports "no such user" as NULL with errno 0 or ENOENT (and a
 * few other codes, by NSS module); anything else is a lookup failure. */
static struct passwd *lookup(const char *user, char *errbuf, size_t errlen)
{
    if (!*user) {
        snprintf(errbuf, errlen, "-Z needs a user name");
        return NULL;
    }
    errno = 0;
    struct passwd *pw = getpwnam(user);
    if (!pw) {
        if (errno == 0 || errno == ENOENT || errno == ESRCH || errno == EBADF || errno == EPERM)
            snprintf(errbuf, errlen, "-Z %s: no such user", user);
        else
            snprintf(errbuf, errlen, "-Z %s: cannot look up the user: %s", user,
                     strerror(errno));
    }
    return pw;
}

int nm_privs_check_user(const char *user, char *errbuf, size_t errlen)
{
    return lookup(user, errbuf, errlen) ? 0 : -1;
}

int nm_privs_drop(const char *user, const char *const *paths, size_t npaths, char *errbuf,
                  size_t errlen)
{
    struct passwd *pw = lookup(user, errbuf, errlen);
    if (!pw)
        return -1;
    /* Copies: the next getpw* call may overwrite *pw. */
    uid_t uid = pw->pw_uid;
    gid_t gid = pw->pw_gid;
    char name[256];
    snprintf(name, sizeof name, "%s", pw->pw_name);

    if (geteuid() != 0) {
        snprintf(errbuf, errlen, "-Z %s: only root can switch to another user", user);
        return -1;
    }
    for (size_t i = 0; i < npaths; i++) {
        struct stat sb;
        if (!paths[i] || lstat(paths[i], &sb) != 0 ||
            !(S_ISREG(sb.st_mode) || S_ISDIR(sb.st_mode)))
            continue;
        if (chown(paths[i], uid, gid) != 0) {
            snprintf(errbuf, errlen, "%s: cannot give the file to %s: %s", paths[i], user,
                     strerror(errno));
            return -1;
        }
    }
    if (initgroups(name, gid) != 0) {
        snprintf(errbuf, errlen, "-Z %s: cannot set the supplementary groups: %s", user,
                 strerror(errno));
        return -1;
    }
    if (setgid(gid) != 0) {
        snprintf(errbuf, errlen, "-Z %s: cannot set group %u: %s", user, (unsigned)gid,
                 strerror(errno));
        return -1;
    }
    if (setuid(uid) != 0) {
        snprintf(errbuf, errlen, "-Z %s: cannot set user %u: %s", user, (unsigned)uid,
                 strerror(errno));
        return -1;
    }
    /* Paranoia from the tcpdump/OpenSSH school: a switch that could be
     * undone did not happen. */
    if (uid != 0 && (setuid(0) == 0 || seteuid(0) == 0)) {
        snprintf(errbuf, errlen, "-Z %s: root privileges could be regained; refusing to go on",
                 user);
        return -1;
    }
    return 0;
}
