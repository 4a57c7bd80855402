/* bpg_subid: submission ids: <clusterId>-<32 lowercase hex>[-suffix], at most 63 characters. */
#include <stdio.h>
#include <string.h>
#include <openssl/rand.h>
#include "bpg_k8sname.h"
#include "bpg_subid.h"

static int
is_lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

enum bpg_err
bpg_subid_new_with_bytes(const char *cluster_id, const char *suffix, const unsigned char bytes[16],
    char *out, size_t outlen, struct bpg_why *why)
{
	static const char hex[] = "0123456789abcdef";
	char h[BPG_SUBID_HEX + 1];
	size_t total, slen = suffix ? strlen(suffix) : 0;

	for (int i = 0; i < 16; i++) {
		h[2 * i] = hex[bytes[i] >> 4];
		h[2 * i + 1] = hex[bytes[i] & 15];
	}
	h[BPG_SUBID_HEX] = '\0';
	if (slen > 0 && !bpg_k8sname_label(suffix, BPG_K8SNAME_LABEL_MAX))
		return bpg_why_set(why, BPG_EINVAL,
		    "submissionIdSuffix: must be lowercase letters, digits and '-', "
		    "starting and ending with a letter or digit (DNS-1123)");
	total = strlen(cluster_id) + 1 + BPG_SUBID_HEX + (slen ? slen + 1 : 0);
	if (total > BPG_SUBID_MAX) {
		long room = (long)BPG_SUBID_MAX - (long)(strlen(cluster_id) + 2 + BPG_SUBID_HEX);
		return bpg_why_set(why, BPG_EINVAL,
		    "submissionIdSuffix: at most %ld characters on cluster %s (the "
		    "submission id may not exceed %d)", room > 0 ? room : 0, cluster_id, BPG_SUBID_MAX);
	}
	if (total >= outlen)
		return BPG_EINTERNAL;
	snprintf(out, outlen, "%s-%s%s%s", cluster_id, h, slen ? "-" : "", slen ? suffix : "");
	return BPG_OK;
}

enum bpg_err
bpg_subid_new(const char *cluster_id, const char *suffix, char *out, size_t outlen,
    struct bpg_why *why)
{
	unsigned char b[16];

	if (RAND_bytes(b, sizeof(b)) != 1)
		return bpg_why_set(why, BPG_EINTERNAL, "no randomness for a submission id");
	return bpg_subid_new_with_bytes(cluster_id, suffix, b, out, outlen, why);
}

enum bpg_err
bpg_subid_parse(const struct bpg_config *cfg, const char *id,
    const struct bpg_cluster **cluster_out, struct bpg_why *why)
{
	size_t n = strlen(id), clen;
	const char *dash = strchr(id, '-'), *rest;
	char cid[BPG_CLUSTER_ID_MAX + 1];
	const struct bpg_cluster *c;

	for (size_t i = 0; i < n; i++)
		if (!is_lower_alnum(id[i]) && id[i] != '-')
			goto invalid;
	if (n == 0 || n > BPG_SUBID_MAX || dash == NULL || dash == id)
		goto invalid;
	clen = (size_t)(dash - id);
	rest = dash + 1;
	if (clen > BPG_CLUSTER_ID_MAX || strlen(rest) < BPG_SUBID_HEX)
		goto invalid;
	for (size_t i = 0; i < BPG_SUBID_HEX; i++)
		if (!((rest[i] >= '0' && rest[i] <= '9') || (rest[i] >= 'a' && rest[i] <= 'f')))
			goto invalid;
	rest += BPG_SUBID_HEX;
	if (*rest != '\0' && (*rest != '-' || !bpg_k8sname_label(rest + 1, BPG_K8SNAME_LABEL_MAX)))
		goto invalid;
	memcpy(cid, id, clen);
	cid[clen] = '\0';
	c = bpg_config_cluster(cfg, cid);
	if (c == NULL)
		return bpg_why_set(why, BPG_EINVAL, "Cluster %s (in submissionId: %s) not exists",
		    cid, id);
	*cluster_out = c;
	return BPG_OK;
invalid:
	if (n <= BPG_SUBID_MAX) {
		int safe = 1;
		for (size_t i = 0; i < n && safe; i++)
			safe = (unsigned char)id[i] > ' ' && (unsigned char)id[i] < 0x7f && id[i] != '"';
		if (safe)
			return bpg_why_set(why, BPG_EINVAL, "submissionId %s is invalid", id);
	}
	return bpg_why_set(why, BPG_EINVAL, "submissionId is invalid");
}

int
bpg_subid_is_app_id(const char *s)
{
	size_t n;

	if (strncmp(s, "spark-", 6) != 0)
		return 0;
	n = strlen(s + 6);
	if (n == 0 || n > 64)
		return 0;
	for (const char *p = s + 6; *p; p++)
		if (!is_lower_alnum(*p) && *p != '-')
			return 0;
	return 1;
}
