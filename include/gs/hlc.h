/*
 * hlc.h: hybrid logical clock (Kulkarni et al. 2014).
 *
 * An HLC value is 48 bits of unix milliseconds shifted left 16, plus a
 * 16-bit counter. It never goes backwards on a node and is always greater
 * than every HLC the node has seen, so a change made after seeing another
 * sorts after it even when village clocks are days off. Pure functions.
 */
#ifndef GS_HLC_H
#define GS_HLC_H

#include <stdint.h>

#define GS_HLC_MS(h)      ((uint64_t)(h) >> 16)
#define GS_HLC_COUNTER(h) ((uint64_t)(h) & 0xffffu)
#define GS_HLC_MAKE(ms, c) (((uint64_t)(ms) << 16) | ((uint64_t)(c) & 0xffffu))

/* Wall clock in unix milliseconds, or the number in the environment
 * variable GRIDNODE_NOW_MS when it is set (tests, sample data). */
uint64_t gs_hlc_now_ms(void);

/* The HLC for a local event, given the last HLC this node issued or saw and
 * the wall clock. Strictly greater than last. */
uint64_t gs_hlc_send(uint64_t last, uint64_t now_ms);

/* The node's clock after receiving a change stamped `remote`: greater than
 * both last and remote. */
uint64_t gs_hlc_recv(uint64_t last, uint64_t remote, uint64_t now_ms);

/* Formats an HLC's wall time as "YYYY-MM-DD HH:MM:SS" in local time into
 * buf (at least 20 bytes). Returns buf. */
char *gs_hlc_format(uint64_t hlc, char *buf, unsigned cap);

#endif
