/* bpg_sparkconf: case-preserving Spark conf files (spark-defaults.conf format). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bpg_sparkconf.h"

static int
sc_isspace(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* Trims [*s, *e) in place of white space at both ends. */
static void
sc_trim(const char **s, const char **e)
{
	while (*s < *e && sc_isspace(**s))
		(*s)++;
	while (*e > *s && sc_isspace((*e)[-1]))
		(*e)--;
}

/* Returns 1 if [s,e) holds a control character or a NUL. */
static int
sc_has_ctl(const char *s, const char *e)
{
	for (; s < e; s++)
		if ((unsigned char)*s < 0x20 && *s != '\t')
			return 1;
	return 0;
}

/* Appends one entry, copying key and value. */
static enum bpg_err
sc_add(struct bpg_sparkconf *c, const char *k, size_t kn, const char *v, size_t vn)
{
	struct bpg_kv *items;

	items = realloc(c->items, (c->n + 1) * sizeof(*items));
	if (items == NULL)
		return BPG_ENOMEM;
	c->items = items;
	items[c->n].key = strndup(k, kn);
	items[c->n].value = strndup(v, vn);
	if (items[c->n].key == NULL || items[c->n].value == NULL) {
		free(items[c->n].key);
		free(items[c->n].value);
		return BPG_ENOMEM;
	}
	c->n++;
	return BPG_OK;
}

/* Parses one line [s,e); returns BPG_OK, BPG_ECONFIG after reporting, or BPG_ENOMEM. */
static enum bpg_err
sc_line(const char *name, unsigned lineno, const char *s, const char *e,
    struct bpg_sparkconf *c, struct bpg_buf *errors)
{
	const char *ks, *ke, *vs;

	sc_trim(&s, &e);
	if (s == e || *s == '#')
		return BPG_OK;
	if ((size_t)(e - s) > BPG_SPARKCONF_MAX_LINE) {
		bpg_buf_printf(errors, "%s:%u: line longer than %d bytes\n", name, lineno,
		    BPG_SPARKCONF_MAX_LINE);
		return BPG_ECONFIG;
	}
	if (sc_has_ctl(s, e)) {
		bpg_buf_printf(errors, "%s:%u: control character in line\n", name, lineno);
		return BPG_ECONFIG;
	}
	ks = s;
	for (ke = ks; ke < e && !sc_isspace(*ke) && *ke != '='; ke++)
		;
	if (ke == ks) {
		bpg_buf_printf(errors, "%s:%u: missing key\n", name, lineno);
		return BPG_ECONFIG;
	}
	vs = ke;
	while (vs < e && sc_isspace(*vs))
		vs++;
	if (vs < e && *vs == '=')
		vs++;
	sc_trim(&vs, &e);
	if (c->n >= BPG_SPARKCONF_MAX_ITEMS) {
		bpg_buf_printf(errors, "%s:%u: more than %d entries\n", name, lineno,
		    BPG_SPARKCONF_MAX_ITEMS);
		return BPG_ECONFIG;
	}
	for (size_t i = 0; i < c->n; i++) {
		if (strlen(c->items[i].key) == (size_t)(ke - ks) &&
		    memcmp(c->items[i].key, ks, (size_t)(ke - ks)) == 0) {
			bpg_buf_printf(errors, "%s:%u: %.*s: key given twice\n", name, lineno,
			    (int)(ke - ks), ks);
			return BPG_ECONFIG;
		}
	}
	return sc_add(c, ks, (size_t)(ke - ks), vs, (size_t)(e - vs));
}

enum bpg_err
bpg_sparkconf_parse(const char *name, const char *text, size_t len,
    struct bpg_sparkconf *out, struct bpg_buf *errors)
{
	struct bpg_sparkconf c = { NULL, 0 };
	const char *p = text, *end = text + len, *nl;
	enum bpg_err err = BPG_OK, e;
	unsigned lineno = 0;

	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end;
		lineno++;
		e = sc_line(name, lineno, p, nl, &c, errors);
		if (e == BPG_ENOMEM) {
			err = e;
			goto out;
		}
		if (e != BPG_OK)
			err = e;
		p = nl + 1;
	}
out:
	if (err != BPG_OK) {
		bpg_sparkconf_release(&c);
		return err;
	}
	*out = c;
	return BPG_OK;
}

enum bpg_err
bpg_sparkconf_load(const char *path, struct bpg_sparkconf *out, struct bpg_buf *errors)
{
	struct bpg_buf text;
	enum bpg_err err = BPG_OK;
	char chunk[8192];
	size_t n;
	FILE *fp;

	bpg_buf_init(&text, BPG_SPARKCONF_MAX_FILE);
	fp = fopen(path, "r");
	if (fp == NULL) {
		bpg_buf_printf(errors, "%s: cannot open: %s\n", path, strerror(errno));
		return BPG_ECONFIG;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0) {
		if ((err = bpg_buf_append(&text, chunk, n)) != BPG_OK) {
			if (err == BPG_ETOOLARGE) {
				bpg_buf_printf(errors, "%s: larger than %u bytes\n", path,
				    BPG_SPARKCONF_MAX_FILE);
				err = BPG_ECONFIG;
			}
			goto out;
		}
	}
	if (ferror(fp)) {
		bpg_buf_printf(errors, "%s: read error\n", path);
		err = BPG_ECONFIG;
		goto out;
	}
	if (text.len > 0 && memchr(text.data, '\0', text.len) != NULL) {
		bpg_buf_printf(errors, "%s: NUL byte in file\n", path);
		err = BPG_ECONFIG;
		goto out;
	}
	err = bpg_sparkconf_parse(path, text.data ? text.data : "", text.len, out, errors);
out:
	fclose(fp);
	bpg_buf_release(&text);
	return err;
}

const char *
bpg_sparkconf_get(const struct bpg_sparkconf *conf, const char *key)
{
	for (size_t i = 0; i < conf->n; i++)
		if (strcmp(conf->items[i].key, key) == 0)
			return conf->items[i].value;
	return NULL;
}

void
bpg_sparkconf_release(struct bpg_sparkconf *conf)
{
	for (size_t i = 0; i < conf->n; i++) {
		free(conf->items[i].key);
		free(conf->items[i].value);
	}
	free(conf->items);
	conf->items = NULL;
	conf->n = 0;
}
