/* options.h - echod's configuration, read from the command line. */
#ifndef ECHOD_OPTIONS_H
#define ECHOD_OPTIONS_H

#include <stdint.h>

#include "conffile.h"
#include "opt.h"

/* Where the settings are read from without --config. */
#define OPTIONS_CONFIG_DEFAULT	SYSCONFDIR "/echod.conf"

/* A test build may name itself otherwise, to show which image runs. */
#ifndef ECHOD_VERSION
#define ECHOD_VERSION	PACKAGE_VERSION
#endif

struct config {
	struct addr_list listen;
	struct addr_list metrics;	/* --metrics: empty, off */
	uint64_t	 high_watermark;
	uint64_t	 low_watermark;
	uint64_t	 max_connections;	/* 0: derived once listening */
	uint64_t	 idle_timeout_ms;	/* 0: off */
	uint64_t	 min_rate;		/* bytes/s per idle window, 0: off */
	uint64_t	 shutdown_timeout_ms;
	uint64_t	 backlog;
	uint64_t	 threads;		/* 0: one per available CPU */
	uint64_t	 max_per_source;	/* 0: off */
	uint64_t	 max_datagram;
	uint64_t	 udp_rate;		/* per source, 0: off */
	uint64_t	 udp_burst;
	uint64_t	 udp_sources;		/* rate table slots */
	int		 udp_allow_low_ports;
	int		 log_level;
	int		 log_target;		/* enum log_target */
	int		 verbose;		/* folded into log_level */
	const char	*config_path;		/* --config; NULL: the default */
	int		 check_config;		/* print the settings, exit */
	char		*config_text;		/* the file as read: values
						   point into it */
	uint64_t	 reload_pid;		/* --reload: not a daemon */
	int		 handoff_version;	/* print it and exit */
};

/*
 * Fills *conf from the defaults, then the settings file (--config, else
 * OPTIONS_CONFIG_DEFAULT if it exists), then argv, which overrides the file
 * (a --listen replaces the file's listen lines).  Returns -1 to continue, or
 * an exit status: 0 after --help, --version or --check-config (which prints
 * the settings as a file), EX_USAGE or EX_NOINPUT (the file cannot be read)
 * after printing a one-line error.  Opens no socket.
 */
int	options_parse(int argc, char **argv, struct config *conf);
void	options_free(struct config *conf);

/*
 * Checks the settings against each other, fills in the defaults computed at
 * run time (0 for max_connections or threads) and folds verbose into
 * log_level: what options_parse does after reading them.  On error returns
 * -1 with a one-line reason in why.
 */
int	options_check(struct config *conf, char *why, size_t whylen);

/* echod.conf's view of the option table, over conf (NULL for the sample). */
void	options_conffile(struct conffile *cf, const char *path,
	    struct config *conf);

#endif
