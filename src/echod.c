/* echod.c - main: options, listeners, the loop, and the exit status. */
#include "config.h"

#include <signal.h>
#include <sysexits.h>

#include <event2/event.h>

#include "evmem.h"
#include "journal.h"
#include "listener.h"
#include "log.h"
#include "metrics.h"
#include "options.h"
#include "reload.h"
#include "reloadctl.h"
#include "server.h"

int
main(int argc, char **argv)
{
	struct config conf;
	struct server *srv;
	struct metrics *metrics = NULL;
	unsigned n;
	int rc;

	evmem_install();
	log_init("echod", LOG_NOTICE);
	event_set_log_callback(log_libevent);
	event_set_fatal_callback(log_libevent_fatal);
	reload_init(argc, argv);
	reload_own_args(&argc, &argv);
	if ((rc = options_parse(argc, argv, &conf)) != -1)
		return rc == 0 ? 0 : reload_give_back(rc, "bad settings");
	if (conf.reload_pid != 0) {
		rc = reloadctl_request((pid_t)conf.reload_pid);
		options_free(&conf);
		return rc;
	}
	log_init("echod", conf.log_level);
	journal_log_setup(conf.log_target);
	/* Peers that reset make write(2) raise SIGPIPE; EPIPE is handled. */
	signal(SIGPIPE, SIG_IGN);
	/*
	 * Not fatal while starting either; the main loop handles them.  After
	 * a reload they are blocked instead: ignoring would discard a pending
	 * SIGHUP that asks for one more reload.
	 */
	if (!reload_inherited()) {
		signal(SIGHUP, SIG_IGN);
		signal(SIGUSR2, SIG_IGN);
	}

	/* server_new logs what failed. */
	if ((srv = server_new(&conf)) == NULL) {
		rc = reload_give_back(EX_SOFTWARE, "cannot set up the event loop");
		goto out;
	}
	rc = reload_inherited() ? reload_adopt(srv) : listener_open_all(srv);
	/* The listen changes a reload makes; what fails is logged. */
	if (rc == 0 && reload_adopted() && (n = listener_apply(srv)) > 0)
		reload_note("cannot listen on %u addresses added", n);
	if (rc != 0 ||
	    (rc = metrics_open(server_base(srv), &conf.metrics, srv, &metrics)) != 0)
		goto out;
	reload_metrics_serve(metrics);
	rc = server_run(srv) == -1 ? EX_SOFTWARE : 0;
out:
	metrics_free(metrics);
	server_free(srv);
	options_free(&conf);
	libevent_global_shutdown();
	evmem_flush();
	return rc;
}
