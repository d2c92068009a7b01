/* Is a ctrecord recording into a database: the flock(2) recorder/dbclaim.c holds on the file, as /proc/locks lists it. */
#ifndef CT_RECORDER_LOCK_H
#define CT_RECORDER_LOCK_H

/* 1 when a process holds an exclusive flock on the file at db (a ctrecord
 * recording into it: recorder/dbclaim.c), 0 when none does, -1 when it
 * cannot be told (the file or /proc/locks cannot be read). Only the locks of
 * processes of this pid namespace are listed there. */
int recorder_lock_held(const char *db);

#endif
