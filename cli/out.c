/* out.c: what goes to stdout: JSON, YAML, aligned tables; a failed write stops the command. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bpg_yaml.h"
#include "cli.h"

int
cli_write(struct cli *c, const char *s, size_t n)
{
	if (c->stdout_broken)
		return CLI_SERVER;
	if (n > 0 && fwrite(s, 1, n, stdout) != n) {
		c->stdout_broken = 1;
		if (errno != EPIPE)
			cli_error(c, "writing the output: %s", strerror(errno));
		return CLI_SERVER;
	}
	return CLI_OK;
}

int
cli_print_json(struct cli *c, const cJSON *j)
{
	char *text = cJSON_Print(j);
	struct bpg_buf b;
	int ret = CLI_SERVER;

	bpg_buf_init(&b, 0);
	if (text == NULL)
		goto out;
	/* cJSON indents with tabs and puts one after ':'; strings never hold a raw tab */
	for (const char *p = text; *p; p++) {
		enum bpg_err e;
		if (*p != '\t')
			e = bpg_buf_append(&b, p, 1);
		else
			e = bpg_buf_puts(&b, p > text && p[-1] == ':' ? " " : "  ");
		if (e != BPG_OK)
			goto out;
	}
	if (bpg_buf_puts(&b, "\n") != BPG_OK)
		goto out;
	ret = cli_write(c, b.data, b.len);
out:
	free(text);
	bpg_buf_release(&b);
	return ret;
}

int
cli_print_yaml(struct cli *c, const cJSON *j)
{
	struct bpg_buf b;
	int ret = CLI_SERVER;

	bpg_buf_init(&b, 0);
	if (bpg_yaml_emit(j, &b) == BPG_OK)
		ret = cli_write(c, b.data, b.len);
	bpg_buf_release(&b);
	return ret;
}

int
cli_print_table(struct cli *c, const char *const *head, int ncol, char **cells, size_t nrows)
{
	size_t *w = calloc((size_t)ncol, sizeof(*w));
	struct bpg_buf b;
	int ret = CLI_SERVER;

	bpg_buf_init(&b, 0);
	if (w == NULL)
		goto out;
	for (int k = 0; k < ncol; k++)
		w[k] = strlen(head[k]);
	for (size_t i = 0; i < nrows; i++)
		for (int k = 0; k < ncol; k++) {
			const char *s = cells[i * (size_t)ncol + (size_t)k];
			size_t n = s != NULL ? strlen(s) : 0;
			if (n > w[k])
				w[k] = n;
		}
	for (size_t i = 0; i <= nrows; i++) {
		for (int k = 0; k < ncol; k++) {
			const char *s = i == 0 ? head[k] : cells[(i - 1) * (size_t)ncol + (size_t)k];
			enum bpg_err e;
			if (k == ncol - 1)
				e = bpg_buf_puts(&b, s != NULL ? s : "");
			else
				e = bpg_buf_printf(&b, "%-*s  ", (int)w[k], s != NULL ? s : "");
			if (e != BPG_OK)
				goto out;
		}
		while (b.len > 0 && b.data[b.len - 1] == ' ')
			b.data[--b.len] = '\0';
		if (bpg_buf_puts(&b, "\n") != BPG_OK)
			goto out;
	}
	ret = cli_write(c, b.data, b.len);
out:
	free(w);
	bpg_buf_release(&b);
	return ret;
}
