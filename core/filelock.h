/* filelock.h - one writer at a time: an exclusive advisory lock (flock) on a sidecar file that holds the pid of the
 * process that took it. The run database's writer locks "<db>.lock" (storage/store.c) and a training run locks
 * "<out_dir>/<name>/.lock", its checkpoint folder (ui/cmd_train.c), so a second writer is refused at once, by name.
 *
 * The kernel drops the lock when its holder dies (even by SIGKILL): a lock file left behind holds no lock and never
 * blocks anyone. A clean release deletes the file. Readers never take it. */
#ifndef GRPO_FILELOCK_H
#define GRPO_FILELOCK_H
#include <stddef.h>

typedef struct FileLock FileLock;

/* Creates path when missing (never its folder), takes the lock without waiting and writes our pid into it.
 * Returns the lock, or NULL with err: "<path>: in use by process <pid> (...)" when another process holds it
 * (what = what the lock protects, e.g. "the run database"), or the system error. Pair with filelock_release. */
FileLock *filelock_take(const char *path, const char *what, char *err, size_t errlen);
/* Deletes the lock file and releases the lock. NULL is fine. */
void filelock_release(FileLock *l);

#endif
