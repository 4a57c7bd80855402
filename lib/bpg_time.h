/*
 * bpg_time: the gateway's one clock (wall and monotonic), and times as the Kubernetes API
 * and S3 write them. A leaf: no other bpg module.
 */
#ifndef BPG_TIME_H
#define BPG_TIME_H

/* Parses an RFC 3339 UTC time ("2026-11-24T10:00:00Z", fractions allowed) to epoch ms; -1. */
long long bpg_time_parse_rfc3339(const char *s);

/* Now on the wall clock (CLOCK_REALTIME): milliseconds since the epoch, for stored times. */
long long bpg_time_now_ms(void);

/* Now on the monotonic clock (CLOCK_MONOTONIC) in microseconds: for durations and deadlines. */
long long bpg_time_mono_us(void);

/* The same in milliseconds (bpg_time_mono_us() / 1000). */
long long bpg_time_mono_ms(void);

#endif
