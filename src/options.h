/* options.h - echod's configuration, read from the command line. */
#ifndef ECHOD_OPTIONS_H
#define ECHOD_OPTIONS_H

#include <stdint.h>

#include "opt.h"

/* Descriptors kept back for listeners, logging and the library's own use. */
#define FD_RESERVE	32

struct config {
	struct addr_list listen;
	struct addr_list metrics;	/* --metrics: empty, off */
	uint64_t	 high_watermark;
	uint64_t	 low_watermark;
	uint64_t	 max_connections;	/* 0: derive from RLIMIT_NOFILE */
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
	int		 verbose;
};

/*
 * Fills *conf from argv.  Returns -1 to continue, or an exit status: 0 after
 * --help or --version, EX_USAGE after printing a one-line error.
 */
int	options_parse(int argc, char **argv, struct config *conf);
void	options_free(struct config *conf);

#endif
