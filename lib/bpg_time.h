/* bpg_time: times as the Kubernetes API and S3 write them. A leaf: no other bpg module. */
#ifndef BPG_TIME_H
#define BPG_TIME_H

/* Parses an RFC 3339 UTC time ("2026-11-24T10:00:00Z", fractions allowed) to epoch ms; -1. */
long long bpg_time_parse_rfc3339(const char *s);

#endif
