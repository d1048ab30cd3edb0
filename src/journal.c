/* journal.c - structured logging to the systemd journal. */
#include "config.h"

#include <sys/stat.h>
#include <sys/uio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The entry's CODE_* are the log call's, sent below; not journal.c's. */
#define SD_JOURNAL_SUPPRESS_LOCATION
#include <systemd/sd-journal.h>

#include "journal.h"
#include "log.h"

#define JOURNAL_FIELDS_MAX	24

const char *const log_target_names[] = { "auto", "journal", "stderr", NULL };

static void
journal_backend(int prio, const char *file, int line, const char *func,
    const char *const *fields, const char *msg)
{
	struct iovec iov[JOURNAL_FIELDS_MAX];
	char message[1100], priority[16], ident[64], code_file[256];
	char code_line[32], code_func[128];
	size_t n = 0;

	snprintf(message, sizeof(message), "MESSAGE=%s", msg);
	snprintf(priority, sizeof(priority), "PRIORITY=%d", prio);
	snprintf(ident, sizeof(ident), "SYSLOG_IDENTIFIER=%s", log_progname());
	snprintf(code_file, sizeof(code_file), "CODE_FILE=%s", file);
	snprintf(code_line, sizeof(code_line), "CODE_LINE=%d", line);
	snprintf(code_func, sizeof(code_func), "CODE_FUNC=%s", func);
	iov[n++] = (struct iovec){ message, strlen(message) };
	iov[n++] = (struct iovec){ priority, strlen(priority) };
	iov[n++] = (struct iovec){ ident, strlen(ident) };
	iov[n++] = (struct iovec){ code_file, strlen(code_file) };
	iov[n++] = (struct iovec){ code_line, strlen(code_line) };
	iov[n++] = (struct iovec){ code_func, strlen(code_func) };
	for (; fields != NULL && *fields != NULL && n < JOURNAL_FIELDS_MAX;
	    fields++)
		iov[n++] = (struct iovec){ (void *)*fields, strlen(*fields) };
	/* A journal that went away must not take the daemon with it. */
	(void)sd_journal_sendv(iov, (int)n);
}

/* Is stderr the stream systemd connected to the journal? */
static int
journal_is_stderr(void)
{
	const char *env = getenv("JOURNAL_STREAM");
	char want[48];
	struct stat st;

	if (env == NULL || fstat(2, &st) == -1)
		return 0;
	/* systemd writes "DEV:INO" in decimal: compare text, parse nothing. */
	snprintf(want, sizeof(want), "%llu:%llu",
	    (unsigned long long)st.st_dev, (unsigned long long)st.st_ino);
	return strcmp(env, want) == 0;
}

enum log_target
journal_log_setup(enum log_target target)
{
	if (target == LOG_TARGET_AUTO)
		target = journal_is_stderr() ? LOG_TARGET_JOURNAL :
		    LOG_TARGET_STDERR;
	log_set_backend(target == LOG_TARGET_JOURNAL ? journal_backend : NULL);
	return target;
}
