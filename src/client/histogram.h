/*
 * histogram.h - a log-linear histogram of latencies with bounded relative
 * error, in the manner of HdrHistogram: values below HIST_SUB are exact;
 * above, each power of two is split into HIST_SUB buckets, so a bucket is
 * at most 1/HIST_SUB of its lowest value wide.  Quantiles report the
 * bucket's middle, so they are within HIST_REL_ERROR of a recorded value.
 * Fixed size, no allocation: recording is one increment.
 */
#ifndef ECHO_HISTOGRAM_H
#define ECHO_HISTOGRAM_H

#include <stdint.h>

#define HIST_SUB_BITS	7
#define HIST_SUB	(1U << HIST_SUB_BITS)
#define HIST_BUCKETS	((64 - HIST_SUB_BITS + 1) * HIST_SUB)
#define HIST_REL_ERROR	(1.0 / (2 * HIST_SUB))

struct histogram {
	uint64_t	count;
	uint64_t	min, max;	/* exact */
	double		sum;		/* for the mean; never overflows */
	uint64_t	bucket[HIST_BUCKETS];
};

void	histogram_init(struct histogram *h);
void	histogram_record(struct histogram *h, uint64_t v);
/*
 * The value at quantile q (0 <= q <= 1): the smallest recorded value with
 * at least q of all values at or below it, within HIST_REL_ERROR and never
 * outside [min, max].  0 when nothing was recorded.
 */
uint64_t histogram_quantile(const struct histogram *h, double q);
double	histogram_mean(const struct histogram *h);

/* The bucket of v, and the lowest value and width of bucket i. */
unsigned histogram_index(uint64_t v);
uint64_t histogram_bucket_low(unsigned i);
uint64_t histogram_bucket_width(unsigned i);

#endif
