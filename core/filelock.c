/* filelock.c - exclusive sidecar lock files (filelock.h).
 *
 * Deleting the file on release races with a process that opened it just before: that process would lock the
 * deleted file while a third one creates and locks a new one. So after taking the lock we check that the path still
 * names the file we locked, and start again when it does not. */
#include "core/filelock.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

struct FileLock {
    int fd;
    char *path;
};

/* The pid written by the holder, or 0 when the file holds none yet (its holder has just created it). */
static long holder_pid(int fd) {
    char buf[32];
    ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
    if (n <= 0) return 0;
    buf[n] = 0;
    long pid = strtol(buf, NULL, 10);
    return pid > 0 ? pid : 0;
}

FileLock *filelock_take(const char *path, const char *what, char *err, size_t errlen) {
    for (int attempt = 0; attempt < 100; attempt++) {
        int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0) {
            snprintf(err, errlen, "%s: cannot create the lock file: %s", path, strerror(errno));
            return NULL;
        }
        if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
            int e = errno;
            long pid = e == EWOULDBLOCK ? holder_pid(fd) : 0;
            close(fd);
            if (e != EWOULDBLOCK) snprintf(err, errlen, "%s: cannot lock: %s", path, strerror(e));
            else if (pid) snprintf(err, errlen, "%s: %s is in use by process %ld (one writer at a time; "
                                   "readers such as browse and export still work)", path, what, pid);
            else snprintf(err, errlen, "%s: %s is in use by another process (one writer at a time; readers "
                          "such as browse and export still work)", path, what);
            return NULL;
        }
        struct stat a, b;
        if (fstat(fd, &a) != 0 || stat(path, &b) != 0 || a.st_dev != b.st_dev || a.st_ino != b.st_ino) {
            close(fd);          /* released and deleted between our open and our flock: take the new one */
            continue;
        }
        char pid[32];
        int n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
        FileLock *l = malloc(sizeof *l);
        if (!l || !(l->path = strdup(path)) || ftruncate(fd, 0) != 0 || pwrite(fd, pid, (size_t)n, 0) != n) {
            snprintf(err, errlen, "%s: cannot write the lock file: %s", path, l ? strerror(errno) : "out of memory");
            if (l) free(l->path);
            free(l);
            unlink(path);
            close(fd);
            return NULL;
        }
        l->fd = fd;
        return l;
    }
    snprintf(err, errlen, "%s: cannot lock: the lock file keeps being replaced", path);
    return NULL;
}

void filelock_release(FileLock *l) {
    if (!l) return;
    unlink(l->path);            /* while still locked, so nobody can be holding the file we delete */
    close(l->fd);
    free(l->path);
    free(l);
}
