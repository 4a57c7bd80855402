/* bpg_k8sname: Kubernetes' name rules (apimachinery's validation), in one place. Pure. */
#ifndef BPG_K8SNAME_H
#define BPG_K8SNAME_H

#include <stddef.h>

#define BPG_K8SNAME_LABEL_MAX     63
#define BPG_K8SNAME_SUBDOMAIN_MAX 253

/*
 * 1 when s is a DNS-1123 label of at most max characters (lowercase letters, digits and '-',
 * starting and ending with a letter or digit): namespaces, pod names, submission ids.
 */
int bpg_k8sname_label(const char *s, size_t max);

/* 1 when s is a DNS-1123 subdomain: labels joined by '.', at most 253 characters. */
int bpg_k8sname_subdomain(const char *s);

/* 1 when s is a label value: empty, or at most 63 of [A-Za-z0-9_.-], alphanumeric at both ends. */
int bpg_k8sname_label_value(const char *s);

/* 1 when s is a label key: [prefix/]name, the prefix lowercase DNS, the name like a value. */
int bpg_k8sname_label_key(const char *s);

#endif
