/* bpg_k8sname: Kubernetes' name rules (DNS-1123 labels and subdomains, label keys and values). */
#include <ctype.h>
#include <string.h>
#include "bpg_k8sname.h"

static int
lower_alnum(char c)
{
	return islower((unsigned char)c) || isdigit((unsigned char)c);
}

/* The first n bytes of s are a DNS-1123 label. */
static int
label_n(const char *s, size_t n)
{
	if (n == 0 || n > BPG_K8SNAME_LABEL_MAX || !lower_alnum(s[0]) || !lower_alnum(s[n - 1]))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!lower_alnum(s[i]) && s[i] != '-')
			return 0;
	return 1;
}

int
bpg_k8sname_label(const char *s, size_t max)
{
	size_t n = strlen(s);

	return n <= max && label_n(s, n);
}

int
bpg_k8sname_subdomain(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > BPG_K8SNAME_SUBDOMAIN_MAX)
		return 0;
	for (;;) {
		size_t l = strcspn(s, ".");
		if (!label_n(s, l))
			return 0;
		if (s[l] == '\0')
			return 1;
		s += l + 1;
	}
}

int
bpg_k8sname_label_value(const char *s)
{
	size_t n = strlen(s);

	if (n == 0)
		return 1;
	if (n > BPG_K8SNAME_LABEL_MAX || !isalnum((unsigned char)s[0]) ||
	    !isalnum((unsigned char)s[n - 1]))
		return 0;
	for (; *s; s++)
		if (!(isalnum((unsigned char)*s) || *s == '-' || *s == '_' || *s == '.'))
			return 0;
	return 1;
}

int
bpg_k8sname_label_key(const char *s)
{
	const char *slash = strrchr(s, '/');
	const char *name = slash ? slash + 1 : s;

	if (*name == '\0' || !bpg_k8sname_label_value(name))
		return 0;
	if (slash != NULL) {
		if (slash == s || slash - s > BPG_K8SNAME_SUBDOMAIN_MAX)
			return 0;
		for (const char *q = s; q < slash; q++)
			if (!(lower_alnum(*q) || *q == '-' || *q == '.'))
				return 0;
	}
	return 1;
}
