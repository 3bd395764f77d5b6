/*
 * test_hlc.c: the hybrid logical clock.
 */
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include "gs/hlc.h"
#include "gs_test.h"

#define T0 1700000000000ull	/* 2023-11-14, a plausible wall clock */

static void
test_macros(void)
{
	uint64_t h = GS_HLC_MAKE(T0, 7);

	GS_CHECK_EQ(GS_HLC_MS(h), T0);
	GS_CHECK_EQ(GS_HLC_COUNTER(h), 7);
	GS_CHECK_EQ(GS_HLC_COUNTER(GS_HLC_MAKE(T0, 0x1ffff)), 0xffff);
}

static void
test_send_clock_ahead(void)
{
	uint64_t h = gs_hlc_send(GS_HLC_MAKE(T0, 5), T0 + 10);

	GS_CHECK_EQ(GS_HLC_MS(h), T0 + 10);
	GS_CHECK_EQ(GS_HLC_COUNTER(h), 0);
	GS_CHECK_EQ(gs_hlc_send(0, T0), GS_HLC_MAKE(T0, 0));
}

static void
test_send_clock_backwards(void)
{
	uint64_t last = GS_HLC_MAKE(T0, 3), h;
	int i;

	/* Same ms: the counter goes on. */
	h = gs_hlc_send(last, T0);
	GS_CHECK_EQ(h, GS_HLC_MAKE(T0, 4));
	/* Clock a day behind: ms stays, counter goes on, always increasing. */
	for (i = 0; i < 1000; i++) {
		uint64_t n = gs_hlc_send(h, T0 - 86400000ull);

		GS_CHECK(n > h);
		GS_CHECK_EQ(GS_HLC_MS(n), T0);
		h = n;
	}
	GS_CHECK_EQ(h, GS_HLC_MAKE(T0, 1004));
	/* A clock of zero (unset RTC) still moves forward. */
	GS_CHECK_EQ(gs_hlc_send(h, 0), GS_HLC_MAKE(T0, 1005));
}

static void
test_send_counter_overflow(void)
{
	uint64_t h = gs_hlc_send(GS_HLC_MAKE(T0, 0xfffe), T0);

	GS_CHECK_EQ(h, GS_HLC_MAKE(T0, 0xffff));
	h = gs_hlc_send(h, T0);
	GS_CHECK_EQ(h, GS_HLC_MAKE(T0 + 1, 0));
	GS_CHECK(h > GS_HLC_MAKE(T0, 0xffff));
	/* The wall clock at T0 + 1 now continues the borrowed ms. */
	GS_CHECK_EQ(gs_hlc_send(h, T0 + 1), GS_HLC_MAKE(T0 + 1, 1));
}

static void
test_recv_remote_ahead(void)
{
	uint64_t last = GS_HLC_MAKE(T0, 9), remote = GS_HLC_MAKE(T0 + 500, 4);
	uint64_t h = gs_hlc_recv(last, remote, T0 + 100);

	GS_CHECK_EQ(h, GS_HLC_MAKE(T0 + 500, 5));
	GS_CHECK(h > last && h > remote);
	/* A village clock days ahead: we follow it, counting on its counter. */
	remote = GS_HLC_MAKE(T0 + 3 * 86400000ull, 0xffff);
	h = gs_hlc_recv(last, remote, T0);
	GS_CHECK_EQ(h, GS_HLC_MAKE(T0 + 3 * 86400000ull + 1, 0));
	GS_CHECK(h > last && h > remote);
}

static void
test_recv_remote_behind(void)
{
	uint64_t last = GS_HLC_MAKE(T0 + 500, 2), remote = GS_HLC_MAKE(T0, 40);
	uint64_t h = gs_hlc_recv(last, remote, T0 + 100);

	GS_CHECK_EQ(h, GS_HLC_MAKE(T0 + 500, 3));
	GS_CHECK(h > last && h > remote);
}

static void
test_recv_equal(void)
{
	uint64_t last = GS_HLC_MAKE(T0, 2), remote = GS_HLC_MAKE(T0, 40);
	uint64_t h;

	h = gs_hlc_recv(last, remote, T0 - 5);
	GS_CHECK_EQ(h, GS_HLC_MAKE(T0, 41));
	h = gs_hlc_recv(remote, last, T0 - 5);
	GS_CHECK_EQ(h, GS_HLC_MAKE(T0, 41));
	h = gs_hlc_recv(last, last, T0);
	GS_CHECK_EQ(h, GS_HLC_MAKE(T0, 3));
	/* Both at the counter's top: borrow one ms. */
	h = gs_hlc_recv(GS_HLC_MAKE(T0, 0xffff), GS_HLC_MAKE(T0, 0xfff0), T0);
	GS_CHECK_EQ(h, GS_HLC_MAKE(T0 + 1, 0));
}

static void
test_recv_wall_clock_ahead(void)
{
	uint64_t last = GS_HLC_MAKE(T0, 2), remote = GS_HLC_MAKE(T0 + 1, 40);
	uint64_t h = gs_hlc_recv(last, remote, T0 + 1000);

	GS_CHECK_EQ(h, GS_HLC_MAKE(T0 + 1000, 0));
}

static void
test_recv_always_greater(void)
{
	uint64_t ms[] = { 0, 1, T0 - 1, T0, T0 + 1 };
	uint64_t cs[] = { 0, 1, 0xfffe, 0xffff };
	size_t a, b, c, d, n;

	for (a = 0; a < 5; a++)
	for (b = 0; b < 4; b++)
	for (c = 0; c < 5; c++)
	for (d = 0; d < 4; d++)
	for (n = 0; n < 5; n++) {
		uint64_t last = GS_HLC_MAKE(ms[a], cs[b]);
		uint64_t remote = GS_HLC_MAKE(ms[c], cs[d]);
		uint64_t h = gs_hlc_recv(last, remote, ms[n]);

		GS_CHECK(h > last);
		GS_CHECK(h > remote);
		GS_CHECK(GS_HLC_MS(h) >= ms[n]);
		GS_CHECK(gs_hlc_send(last, ms[n]) > last);
	}
}

static void
test_now_and_format(void)
{
	uint64_t now = gs_hlc_now_ms();
	char buf[32], want[32];
	struct tm tm;
	time_t t = (time_t)(T0 / 1000);

	/* After 2020-01-01 and before 2200. */
	GS_CHECK(now > 1577836800000ull && now < 7258118400000ull);
	localtime_r(&t, &tm);
	strftime(want, sizeof(want), "%Y-%m-%d %H:%M:%S", &tm);
	GS_CHECK_STR(gs_hlc_format(GS_HLC_MAKE(T0 + 999, 12), buf,
	    sizeof(buf)), want);
	GS_CHECK_EQ(strlen(buf), 19);
	setenv("TZ", "UTC", 1);
	tzset();
	GS_CHECK_STR(gs_hlc_format(GS_HLC_MAKE(T0, 0), buf, sizeof(buf)),
	    "2023-11-14 22:13:20");
	setenv("TZ", "CST-8", 1);	/* China time, no tzdata needed */
	tzset();
	GS_CHECK_STR(gs_hlc_format(GS_HLC_MAKE(T0, 0), buf, 20),
	    "2023-11-15 06:13:20");
	/* Too small a buffer gives an empty string, not a torn one. */
	GS_CHECK_STR(gs_hlc_format(GS_HLC_MAKE(T0, 0), buf, 10), "");
}

int
main(void)
{
	GS_RUN(test_macros);
	GS_RUN(test_send_clock_ahead);
	GS_RUN(test_send_clock_backwards);
	GS_RUN(test_send_counter_overflow);
	GS_RUN(test_recv_remote_ahead);
	GS_RUN(test_recv_remote_behind);
	GS_RUN(test_recv_equal);
	GS_RUN(test_recv_wall_clock_ahead);
	GS_RUN(test_recv_always_greater);
	GS_RUN(test_now_and_format);
	return 0;
}
