/*
 * hlc.c: hybrid logical clock (Kulkarni et al. 2014).
 */
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include "gs/hlc.h"

/*
 * The counter is 16 bits. When it would pass 0xffff we borrow one
 * millisecond from the future instead of wrapping, so the result stays
 * strictly greater than every input; the wall clock catches up soon after.
 */
static uint64_t
hlc_make(uint64_t ms, uint64_t counter)
{
	if (counter > 0xffffu) {
		ms += 1;
		counter = 0;
	}
	return GS_HLC_MAKE(ms, counter);
}

/*
 * GRIDNODE_NOW_MS lets tests and the sample-data generator put a node's
 * wall clock where a real clock could be (a month ago, an hour after a
 * deadline). It moves nothing an operator cannot move with `date`: the HLC
 * still never goes backwards.
 */
uint64_t
gs_hlc_now_ms(void)
{
	struct timespec ts;
	const char *fake = getenv("GRIDNODE_NOW_MS");
	char *end;

	if (fake != NULL && *fake != '\0') {
		unsigned long long v = strtoull(fake, &end, 10);

		if (*end == '\0')
			return (uint64_t)v;
	}
	if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

uint64_t
gs_hlc_send(uint64_t last, uint64_t now_ms)
{
	uint64_t lms = GS_HLC_MS(last);
	uint64_t l, c;

	l = lms > now_ms ? lms : now_ms;
	/* The wall clock did not move past what we saw: count within l. */
	c = (l == lms) ? GS_HLC_COUNTER(last) + 1 : 0;
	return hlc_make(l, c);
}

uint64_t
gs_hlc_recv(uint64_t last, uint64_t remote, uint64_t now_ms)
{
	uint64_t lms = GS_HLC_MS(last), rms = GS_HLC_MS(remote);
	uint64_t lc = GS_HLC_COUNTER(last), rc = GS_HLC_COUNTER(remote);
	uint64_t l, c;

	l = lms > rms ? lms : rms;
	if (now_ms > l)
		l = now_ms;
	/* Continue the counter of every input that shares the chosen ms. */
	if (l == lms && l == rms)
		c = (lc > rc ? lc : rc) + 1;
	else if (l == lms)
		c = lc + 1;
	else if (l == rms)
		c = rc + 1;
	else
		c = 0;
	return hlc_make(l, c);
}

char *
gs_hlc_format(uint64_t hlc, char *buf, unsigned cap)
{
	struct tm tm;
	time_t t;

	if (buf == NULL || cap == 0)
		return buf;
	buf[0] = '\0';
	t = (time_t)(GS_HLC_MS(hlc) / 1000u);
	if (localtime_r(&t, &tm) == NULL)
		return buf;
	/* strftime leaves the contents undefined when they do not fit. */
	if (strftime(buf, cap, "%Y-%m-%d %H:%M:%S", &tm) == 0)
		buf[0] = '\0';
	return buf;
}
