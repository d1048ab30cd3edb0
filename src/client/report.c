/*
 * report.c - what echo-client prints: the monitoring-plugin status line,
 * the load test's report as text or one JSON object, and the live
 * progress line.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "check.h"
#include "units.h"

static const char *const state_names[] = {
	"OK", "WARNING", "CRITICAL", "UNKNOWN",
};

static const char *const mode_names[] = { "pingpong", "stream", "connect" };

/* The load test's kind: its --mode, or udp. */
static const char *
report_mode(const struct client_conf *conf, const struct bench_result *res)
{
	return res->udp ? "udp" : mode_names[conf->mode];
}

/* Progress: what the last line showed, for the rate over the last second. */
static uint64_t progress_rt, progress_us;

void
report_unknown(const char *why)
{
	printf("ECHO UNKNOWN - %s\n", why);
	(void)fflush(stdout);	/* the exit status says UNKNOWN all the same */
}

/* Seconds, from microseconds, as perfdata writes them. */
static double
report_s(uint64_t us)
{
	return (double)us / 1e6;
}

/* One check: its time, or what failed. */
static int
report_single(const struct client_conf *conf, const struct check_summary *sum)
{
	char w[64], c[64], t[32];

	if (sum->checks == 0 || sum->corrupt) {
		printf("ECHO %s - %s\n", state_names[sum->state], sum->reason);
		return sum->state;
	}
	printf("ECHO %s - %llu bytes echoed in %s%s | time=%.6fs;%s;%s;0 "
	    "size=%lluB\n", state_names[sum->state],
	    (unsigned long long)sum->bytes,
	    format_duration_us(sum->sum_us, t, sizeof(t)), sum->over,
	    report_s(sum->sum_us), range_format(&conf->warn.time, w, sizeof(w)),
	    range_format(&conf->crit.time, c, sizeof(c)),
	    (unsigned long long)sum->bytes);
	return sum->state;
}

/* Repeated checks or a probe: ping's statistics, check_ping's perfdata. */
static int
report_probe(const struct client_conf *conf, const struct check_summary *sum)
{
	char w[64], c[64], loss[32], t[4][32];

	range_number(verdict_loss(sum), loss, sizeof(loss));
	printf("ECHO %s - %llu of %llu echoed, %s%% lost, %llu bytes each",
	    state_names[sum->state], (unsigned long long)sum->checks,
	    (unsigned long long)sum->count, loss,
	    (unsigned long long)sum->bytes);
	if (sum->checks > 0)
		printf(", rtt min/avg/max/mdev %s/%s/%s/%s",
		    format_duration_us(sum->min_us, t[0], sizeof(t[0])),
		    format_duration_us(verdict_mean_us(sum), t[1], sizeof(t[1])),
		    format_duration_us(sum->max_us, t[2], sizeof(t[2])),
		    format_duration_us(verdict_mdev_us(sum), t[3], sizeof(t[3])));
	if (sum->duplicates > 0 || sum->reordered > 0)
		printf(", %llu duplicated, %llu reordered",
		    (unsigned long long)sum->duplicates,
		    (unsigned long long)sum->reordered);
	if (sum->reason[0] != '\0')
		printf("; %s", sum->reason);
	printf("%s |", sum->over);
	if (sum->checks > 0)
		printf(" rta=%.6fs;%s;%s;0", report_s(verdict_mean_us(sum)),
		    range_format(&conf->warn.time, w, sizeof(w)),
		    range_format(&conf->crit.time, c, sizeof(c)));
	printf(" pl=%s%%;%s;%s;0;100", loss,
	    range_format(&conf->warn.loss, w, sizeof(w)),
	    range_format(&conf->crit.loss, c, sizeof(c)));
	if (sum->checks > 0)
		printf(" rtmin=%.6fs;;;0 rtmax=%.6fs;;;0 mdev=%.6fs;;;0",
		    report_s(sum->min_us), report_s(sum->max_us),
		    report_s(verdict_mdev_us(sum)));
	printf(" dup=%llu;;;0 reordered=%llu;;;0 size=%lluB\n",
	    (unsigned long long)sum->duplicates,
	    (unsigned long long)sum->reordered,
	    (unsigned long long)sum->bytes);
	return sum->state;
}

int
report_check(const struct client_conf *conf, const struct check_summary *sum)
{
	if (sum->count <= 1)
		return report_single(conf, sum);
	return report_probe(conf, sum);
}

static double
report_per_s(uint64_t n, uint64_t us)
{
	return us == 0 ? 0 : (double)n * 1e6 / (double)us;
}

static void
report_latency_text(const char *label, const struct histogram *h)
{
	char t[5][32];

	printf("  %-13s p50 %s  p90 %s  p99 %s  p99.9 %s  max %s\n", label,
	    format_duration_us(histogram_quantile(h, 0.50), t[0], sizeof(t[0])),
	    format_duration_us(histogram_quantile(h, 0.90), t[1], sizeof(t[1])),
	    format_duration_us(histogram_quantile(h, 0.99), t[2], sizeof(t[2])),
	    format_duration_us(histogram_quantile(h, 0.999), t[3],
	    sizeof(t[3])),
	    format_duration_us(h->max, t[4], sizeof(t[4])));
}

/* What the udp: and connect load tests count beyond round trips. */
static void
report_bench_extra_text(const struct client_conf *conf,
    const struct bench_result *res)
{
	if (conf->mode == BENCH_CONNECT && !res->udp) {
		printf("  churn         %llu connections opened, echoed, "
		    "closed (%.1f/s)\n",
		    (unsigned long long)res->round_trips,
		    report_per_s(res->round_trips, res->elapsed_us));
		report_latency_text("connect", &res->connect_hist);
	}
	if (res->udp)
		printf("  loss          %llu lost (%.3f%% of sent), %llu late, "
		    "%llu duplicated; %llu dropped by this client\n",
		    (unsigned long long)res->lost, res->sent == 0 ? 0 :
		    100.0 * (double)res->lost / (double)res->sent,
		    (unsigned long long)res->late,
		    (unsigned long long)res->duplicated,
		    (unsigned long long)res->client_dropped);
}

void
report_bench_text(const struct client_conf *conf,
    const struct bench_result *res)
{
	char t[2][32];
	uint64_t errors = 0;
	int i;

	printf("%s load test of %s: %llu %s, %llu-byte messages, %s",
	    report_mode(conf, res), conf->addr_text,
	    (unsigned long long)res->connections, res->udp ? "sockets" :
	    conf->mode == BENCH_CONNECT ? "connections at a time" :
	    "connections", (unsigned long long)conf->size,
	    format_duration_us(res->elapsed_us, t[0], sizeof(t[0])));
	if (conf->rate > 0)
		printf(", open loop at %llu/s", (unsigned long long)conf->rate);
	else if (res->udp || conf->window > 0)
		printf(", window %llu", (unsigned long long)(conf->window > 0 ?
		    conf->window : 1));
	printf("\n");
	printf("  round trips   %llu (%.1f/s)\n",
	    (unsigned long long)res->round_trips,
	    report_per_s(res->round_trips, res->elapsed_us));
	printf("  throughput    %.3f MB/s echoed (%s sent, %s received)\n",
	    report_per_s(res->bytes_received, res->elapsed_us) / 1e6,
	    format_size(res->bytes_sent, t[0], sizeof(t[0])),
	    format_size(res->bytes_received, t[1], sizeof(t[1])));
	report_latency_text(conf->mode == BENCH_CONNECT ? "echo" : "latency",
	    &res->hist);
	report_bench_extra_text(conf, res);
	printf("  messages      %llu due, %llu sent, %llu echoed, "
	    "%llu incomplete\n", (unsigned long long)res->due,
	    (unsigned long long)res->sent,
	    (unsigned long long)res->round_trips,
	    (unsigned long long)(res->due - res->round_trips));
	printf("  connections   %llu connected, %llu failed to connect, "
	    "%llu failed, %llu mismatched\n",
	    (unsigned long long)res->connected,
	    (unsigned long long)res->connect_failed,
	    (unsigned long long)res->failed,
	    (unsigned long long)res->mismatched);
	printf("  errors       ");
	for (i = 0; i < BERR_COUNT; i++) {
		if (res->errors[i] == 0)
			continue;
		errors += res->errors[i];
		printf(" %s %llu", bench_error_name(i),
		    (unsigned long long)res->errors[i]);
	}
	printf("%s\n", errors == 0 ? " none" : "");
	if (res->mismatched > 0)
		printf("  mismatch      %s\n", res->first_mismatch);
	printf("  status        %s\n", state_names[bench_state(res)]);
}

/* A JSON string: quotes, backslashes and control characters escaped. */
static void
report_json_string(const char *s)
{
	putchar('"');
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			printf("\\u%04x", (unsigned char)*s);
		else
			putchar(*s);
	}
	putchar('"');
}

static void
report_latency_json(const char *name, const struct histogram *h)
{
	printf("\"%s\":{\"samples\":%llu,\"min\":%llu,\"mean\":%.1f,"
	    "\"p50\":%llu,\"p90\":%llu,\"p99\":%llu,\"p99_9\":%llu,"
	    "\"max\":%llu}", name, (unsigned long long)h->count,
	    (unsigned long long)h->min, histogram_mean(h),
	    (unsigned long long)histogram_quantile(h, 0.50),
	    (unsigned long long)histogram_quantile(h, 0.90),
	    (unsigned long long)histogram_quantile(h, 0.99),
	    (unsigned long long)histogram_quantile(h, 0.999),
	    (unsigned long long)h->max);
}

/* udp: losses; connect mode: connections a second and connect latency. */
static void
report_bench_extra_json(const struct client_conf *conf,
    const struct bench_result *res)
{
	printf("\"window\":");
	if (conf->rate == 0 && (res->udp || conf->window > 0))
		printf("%llu", (unsigned long long)(conf->window > 0 ?
		    conf->window : 1));
	else
		printf("null");
	printf(",\"lost\":%llu,\"late\":%llu,\"duplicated\":%llu,"
	    "\"client_dropped\":%llu,\"loss_percent\":%.4f,",
	    (unsigned long long)res->lost, (unsigned long long)res->late,
	    (unsigned long long)res->duplicated,
	    (unsigned long long)res->client_dropped, res->sent == 0 ? 0 :
	    100.0 * (double)res->lost / (double)res->sent);
	if (conf->mode == BENCH_CONNECT && !res->udp) {
		printf("\"connections_per_s\":%.3f,",
		    report_per_s(res->round_trips, res->elapsed_us));
		report_latency_json("connect_latency_us", &res->connect_hist);
	} else {
		printf("\"connections_per_s\":null,"
		    "\"connect_latency_us\":null");
	}
	putchar(',');
}

void
report_bench_json(const struct client_conf *conf,
    const struct bench_result *res)
{
	int i;

	printf("{\"mode\":\"%s\",\"address\":", report_mode(conf, res));
	report_json_string(conf->addr_text);
	printf(",\"connections\":%llu,\"size\":%llu,\"duration_s\":%.3f,"
	    "\"rate\":", (unsigned long long)res->connections,
	    (unsigned long long)conf->size, (double)conf->duration_ms / 1e3);
	if (conf->rate > 0)
		printf("%llu", (unsigned long long)conf->rate);
	else
		printf("null");
	printf(",\"elapsed_s\":%.6f,\"connected\":%llu,\"connect_failed\":%llu,"
	    "\"failed\":%llu,\"mismatched\":%llu,\"errors\":{",
	    (double)res->elapsed_us / 1e6, (unsigned long long)res->connected,
	    (unsigned long long)res->connect_failed,
	    (unsigned long long)res->failed,
	    (unsigned long long)res->mismatched);
	for (i = 0; i < BERR_COUNT; i++)
		printf("%s\"%s\":%llu", i > 0 ? "," : "", bench_error_name(i),
		    (unsigned long long)res->errors[i]);
	printf("},\"messages_due\":%llu,\"messages_sent\":%llu,"
	    "\"round_trips\":%llu,\"incomplete\":%llu,\"bytes_sent\":%llu,"
	    "\"bytes_received\":%llu,\"round_trips_per_s\":%.3f,"
	    "\"mb_per_s\":%.6f,", (unsigned long long)res->due,
	    (unsigned long long)res->sent,
	    (unsigned long long)res->round_trips,
	    (unsigned long long)(res->due - res->round_trips),
	    (unsigned long long)res->bytes_sent,
	    (unsigned long long)res->bytes_received,
	    report_per_s(res->round_trips, res->elapsed_us),
	    report_per_s(res->bytes_received, res->elapsed_us) / 1e6);
	report_bench_extra_json(conf, res);
	report_latency_json("latency_us", &res->hist);
	printf(",\"first_mismatch\":");
	if (res->mismatched > 0)
		report_json_string(res->first_mismatch);
	else
		printf("null");
	printf(",\"status\":\"%s\"}\n", state_names[bench_state(res)]);
}

void
report_progress(const struct bench_result *res, int connecting,
    uint64_t elapsed_us)
{
	char t[32];
	uint64_t errors = res->connect_failed + res->failed + res->mismatched;

	if (connecting) {
		fprintf(stderr, "\rconnecting: %llu of %llu open, %llu failed"
		    "\033[K", (unsigned long long)res->connected,
		    (unsigned long long)res->connections,
		    (unsigned long long)res->connect_failed);
		return;
	}
	fprintf(stderr, "\r%5.0f s  %llu round trips  %.0f/s  p99 %s  "
	    "errors %llu\033[K", (double)elapsed_us / 1e6,
	    (unsigned long long)res->round_trips,
	    report_per_s(res->round_trips - progress_rt,
	    elapsed_us - progress_us),
	    format_duration_us(histogram_quantile(&res->hist, 0.99), t,
	    sizeof(t)), (unsigned long long)errors);
	progress_rt = res->round_trips;
	progress_us = elapsed_us;
}

void
report_progress_end(void)
{
	fputs("\r\033[K", stderr);
}
