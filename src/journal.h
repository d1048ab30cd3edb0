/*
 * journal.h - the systemd journal backend for log.h, and the MESSAGE_IDs of
 * echod's lifecycle events (explained in systemd/echod.catalog).
 */
#ifndef ECHOD_JOURNAL_H
#define ECHOD_JOURNAL_H

#define MSGID_STARTED		"MESSAGE_ID=0f447a84371242fcb9989e6a516b9a3d"
#define MSGID_STOPPING		"MESSAGE_ID=68f8aac4d8284dd49e65553b183eba05"
#define MSGID_LISTEN_FAILED	"MESSAGE_ID=3eb212b677c34d5f9e9b17fd9e443a06"
#define MSGID_FDS_EXHAUSTED	"MESSAGE_ID=7a01c32de2284d38851490bfc85d0f25"
#define MSGID_STOPPED		"MESSAGE_ID=9f6c6f23cecf403fbf190cc881212c4e"

enum log_target {
	LOG_TARGET_AUTO,	/* the journal when JOURNAL_STREAM is stderr */
	LOG_TARGET_JOURNAL,
	LOG_TARGET_STDERR,
};

/* Names for --log, in enum order, NULL-terminated. */
extern const char *const log_target_names[];

/* Routes log.h to the journal or stderr; returns the target chosen. */
enum log_target journal_log_setup(enum log_target target);

#endif
