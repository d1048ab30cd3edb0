/*
 * verdict.c - round-trip statistics (min/avg/max/mdev, loss) and the state
 * they earn against -w and -c: CRITICAL for any echo that differed, for
 * no echo at all, and for loss when no threshold on loss was given.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>

#include "check.h"

void
verdict_add(struct check_summary *sum, uint64_t us)
{
	if (sum->checks == 0 || us < sum->min_us)
		sum->min_us = us;
	if (us > sum->max_us)
		sum->max_us = us;
	sum->sum_us += us;
	sum->sumsq_us += (double)us * (double)us;
	sum->checks++;
}

uint64_t
verdict_mean_us(const struct check_summary *sum)
{
	return sum->checks == 0 ? 0 : sum->sum_us / sum->checks;
}

/* As ping computes it: the standard deviation of the round trips. */
uint64_t
verdict_mdev_us(const struct check_summary *sum)
{
	double mean, var;

	if (sum->checks == 0)
		return 0;
	mean = (double)sum->sum_us / (double)sum->checks;
	var = sum->sumsq_us / (double)sum->checks - mean * mean;
	return var > 0 ? (uint64_t)(sqrt(var) + 0.5) : 0;
}

int64_t
verdict_loss(const struct check_summary *sum)
{
	uint64_t lost = sum->count - sum->checks;

	if (sum->count == 0)
		return 0;
	/* count <= CHECK_COUNT_MAX: the product fits. */
	return (int64_t)(lost * 100000000ULL / sum->count);
}

/* 1 when v alerts against r, saying so in sum->over. */
static int
verdict_range(struct check_summary *sum, const char *level, const char *what,
    const struct range *r, int64_t v, const char *unit)
{
	char range[64], value[32];

	if (!range_alert(r, v))
		return 0;
	snprintf(sum->over, sizeof(sum->over), " (%s: %s %s%s %s %s)", level,
	    what, range_number(v, value, sizeof(value)), unit,
	    r->inside ? "inside" : "outside",
	    range_format(r, range, sizeof(range)));
	return 1;
}

/* The state one threshold gives, or OK. */
static int
verdict_level(const struct threshold *t, int state, const char *level,
    struct check_summary *sum)
{
	int64_t loss = verdict_loss(sum);

	if (verdict_range(sum, level, "time", &t->time,
	    (int64_t)verdict_mean_us(sum), " s"))
		return state;
	if (verdict_range(sum, level, "loss", &t->loss, loss, "%"))
		return state;
	return STATE_OK;
}

void
verdict_state(const struct client_conf *conf, struct check_summary *sum)
{
	sum->over[0] = '\0';
	if (sum->corrupt || sum->checks == 0) {
		sum->state = STATE_CRITICAL;
		return;
	}
	if ((sum->state = verdict_level(&conf->crit, STATE_CRITICAL,
	    "critical", sum)) != STATE_OK)
		return;
	/* Without a threshold on loss, any loss fails, as one check would. */
	if (!conf->warn.loss.set && !conf->crit.loss.set &&
	    sum->checks < sum->count) {
		sum->state = STATE_CRITICAL;
		return;
	}
	sum->state = verdict_level(&conf->warn, STATE_WARNING, "warning", sum);
}
