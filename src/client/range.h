/*
 * range.h - thresholds in the monitoring-plugins guidelines' range syntax,
 * [@]START:END, as echo-client's -w and -c take them:
 *
 *   10      alert outside 0..10        10:     alert below 10
 *   ~:10    alert above 10             10:20   alert outside 10..20
 *   @10:20  alert inside 10..20 (endpoints included in every case)
 *
 * Numbers are decimal with up to six decimals and are kept in millionths
 * (microseconds for times, millionths of a percent for loss), so a
 * threshold of 0.0005 s is exact.
 */
#ifndef ECHO_RANGE_H
#define ECHO_RANGE_H

#include <stddef.h>
#include <stdint.h>

#define RANGE_NEG_INF	INT64_MIN	/* "~" */
#define RANGE_POS_INF	INT64_MAX	/* nothing after ':' */

struct range {
	int	 set;		/* 0: no threshold, never alerts */
	int	 inside;	/* '@': alert inside, not outside */
	int64_t	 lo, hi;	/* millionths, inclusive */
};

/* -w and -c: a range on the echo time, and one on loss ("0.2,10%"). */
struct threshold {
	struct range	 time;		/* seconds */
	struct range	 loss;		/* percent */
};

/* Parses one range; -1 with a short reason in *why. */
int	range_parse(const char *s, struct range *r, const char **why);
/* 1 when v (in millionths) raises the alert. */
int	range_alert(const struct range *r, int64_t v);
/* The range as the guidelines write it, for perfdata; "" when not set. */
const char *range_format(const struct range *r, char *buf, size_t len);
/* Millionths as a decimal: "0.0005", "12", "-3.25". */
const char *range_number(int64_t v, char *buf, size_t len);

/* "TIME", "TIME,LOSS%", ",LOSS%": either part may be left out. */
int	threshold_parse(const char *s, struct threshold *t, const char **why);

#endif
