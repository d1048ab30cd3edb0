/* histogram.c - log-linear latency histogram (see histogram.h). */
#include "config.h"

#include <math.h>
#include <string.h>

#include "histogram.h"

void
histogram_init(struct histogram *h)
{
	memset(h, 0, sizeof(*h));
}

unsigned
histogram_index(uint64_t v)
{
	unsigned shift;

	if (v < HIST_SUB)
		return (unsigned)v;
	shift = 63 - (unsigned)__builtin_clzll(v) - HIST_SUB_BITS;
	return (shift + 1) * HIST_SUB + (unsigned)((v >> shift) - HIST_SUB);
}

uint64_t
histogram_bucket_low(unsigned i)
{
	if (i < HIST_SUB)
		return i;
	return (uint64_t)(i % HIST_SUB + HIST_SUB) << (i / HIST_SUB - 1);
}

uint64_t
histogram_bucket_width(unsigned i)
{
	if (i < HIST_SUB)
		return 1;
	return (uint64_t)1 << (i / HIST_SUB - 1);
}

void
histogram_record(struct histogram *h, uint64_t v)
{
	if (h->count == 0 || v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
	h->count++;
	h->sum += (double)v;
	h->bucket[histogram_index(v)]++;
}

uint64_t
histogram_quantile(const struct histogram *h, double q)
{
	uint64_t rank, seen = 0, mid;
	unsigned i;

	if (h->count == 0)
		return 0;
	if (q <= 0)
		return h->min;
	if (q >= 1)
		return h->max;
	rank = (uint64_t)ceil(q * (double)h->count);
	if (rank < 1)
		rank = 1;
	for (i = 0; i < HIST_BUCKETS; i++) {
		seen += h->bucket[i];
		if (seen >= rank)
			break;
	}
	if (i == HIST_BUCKETS)
		return h->max;
	mid = histogram_bucket_low(i) + (histogram_bucket_width(i) - 1) / 2;
	if (mid < h->min)
		return h->min;
	if (mid > h->max)
		return h->max;
	return mid;
}

double
histogram_mean(const struct histogram *h)
{
	return h->count == 0 ? 0 : h->sum / (double)h->count;
}
