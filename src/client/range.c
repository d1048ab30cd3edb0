/* range.c - threshold ranges in the plugin guidelines' syntax (range.h). */
#include "config.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "range.h"

#define RANGE_WHOLE_MAX	1000000000000LL	/* keeps millionths in int64_t */
#define RANGE_TEXT_MAX	64

/* A decimal number of exactly len bytes into millionths. */
static int
range_value(const char *s, size_t len, int64_t *out, const char **why)
{
	const char *end = s + len;
	int64_t whole = 0, frac = 0, scale = 100000;
	int neg = 0;

	if (s < end && *s == '-') {
		neg = 1;
		s++;
	}
	if (s == end || !isdigit((unsigned char)*s)) {
		*why = "not a number";
		return -1;
	}
	for (; s < end && isdigit((unsigned char)*s); s++) {
		whole = whole * 10 + (*s - '0');
		if (whole > RANGE_WHOLE_MAX) {
			*why = "too large";
			return -1;
		}
	}
	if (s < end && *s == '.')
		for (s++; s < end && isdigit((unsigned char)*s); s++) {
			if (scale == 0 && *s != '0') {
				*why = "finer than a millionth";
				return -1;
			}
			frac += (*s - '0') * scale;
			scale /= 10;
		}
	if (s != end) {
		*why = "not a number";
		return -1;
	}
	*out = (neg ? -1 : 1) * (whole * 1000000 + frac);
	return 0;
}

int
range_parse(const char *s, struct range *r, const char **why)
{
	const char *colon;

	memset(r, 0, sizeof(*r));
	if (*s == '@') {
		r->inside = 1;
		s++;
	}
	if (*s == '\0') {
		*why = "empty range";
		return -1;
	}
	if ((colon = strchr(s, ':')) == NULL) {
		r->lo = 0;
		if (range_value(s, strlen(s), &r->hi, why) == -1)
			return -1;
	} else {
		if (colon - s == 1 && *s == '~')
			r->lo = RANGE_NEG_INF;
		else if (colon == s)
			r->lo = 0;
		else if (range_value(s, (size_t)(colon - s), &r->lo, why) == -1)
			return -1;
		if (colon[1] == '\0')
			r->hi = RANGE_POS_INF;
		else if (range_value(colon + 1, strlen(colon + 1), &r->hi,
		    why) == -1)
			return -1;
	}
	if (r->lo > r->hi) {
		*why = "start above end";
		return -1;
	}
	r->set = 1;
	return 0;
}

int
range_alert(const struct range *r, int64_t v)
{
	int in = v >= r->lo && v <= r->hi;

	if (!r->set)
		return 0;
	return r->inside ? in : !in;
}

const char *
range_number(int64_t v, char *buf, size_t len)
{
	uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	char frac[8];
	size_t n;

	snprintf(frac, sizeof(frac), "%06" PRIu64, mag % 1000000);
	for (n = strlen(frac); n > 0 && frac[n - 1] == '0'; n--)
		frac[n - 1] = '\0';
	snprintf(buf, len, "%s%" PRIu64 "%s%s", v < 0 ? "-" : "",
	    mag / 1000000, n > 0 ? "." : "", frac);
	return buf;
}

const char *
range_format(const struct range *r, char *buf, size_t len)
{
	char lo[RANGE_TEXT_MAX / 2] = "", hi[RANGE_TEXT_MAX / 2] = "";
	const char *colon = ":";

	buf[0] = '\0';
	if (!r->set)
		return buf;
	if (r->lo == RANGE_NEG_INF)
		snprintf(lo, sizeof(lo), "~");
	else if (r->lo != 0 || r->hi == RANGE_POS_INF)
		range_number(r->lo, lo, sizeof(lo));
	else
		colon = "";	/* "10" is 0:10 */
	if (r->hi != RANGE_POS_INF)
		range_number(r->hi, hi, sizeof(hi));
	snprintf(buf, len, "%s%s%s%s", r->inside ? "@" : "", lo, colon, hi);
	return buf;
}

int
threshold_parse(const char *s, struct threshold *t, const char **why)
{
	char time[RANGE_TEXT_MAX], loss[RANGE_TEXT_MAX];
	const char *comma = strchr(s, ',');
	size_t n = comma != NULL ? (size_t)(comma - s) : strlen(s);

	memset(t, 0, sizeof(*t));
	if (n >= sizeof(time) || (comma != NULL &&
	    strlen(comma + 1) >= sizeof(loss))) {
		*why = "too long";
		return -1;
	}
	memcpy(time, s, n);
	time[n] = '\0';
	if (n > 0 && range_parse(time, &t->time, why) == -1)
		return -1;
	if (comma == NULL && n == 0) {
		*why = "empty threshold";
		return -1;
	}
	if (comma == NULL)
		return 0;
	n = strlen(comma + 1);
	if (n == 0 || comma[n] != '%') {
		*why = "the loss after ',' needs a '%'";
		return -1;
	}
	memcpy(loss, comma + 1, n - 1);
	loss[n - 1] = '\0';
	return range_parse(loss, &t->loss, why);
}
