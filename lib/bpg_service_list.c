/* bpg_service_list: the lists of submissions and of Livy's batches, from the database. */
#include <string.h>
#include "bpg_log.h"
#include "bpg_service.h"

/* The caller's row function, and the keyset of the last row it was given. */
struct page_ctx {
	enum bpg_err (*fn)(void *ctx, const struct bpg_sub_row *r);
	void *ctx;
	struct bpg_svc_page *page;
};

static enum bpg_err
page_row(void *arg, const struct bpg_sub_row *r)
{
	struct page_ctx *p = arg;
	size_t n = strnlen(r->submission_id, sizeof(p->page->last_id) - 1);

	p->page->last_ms = r->created_ms;
	memcpy(p->page->last_id, r->submission_id, n);
	p->page->last_id[n] = '\0';
	p->page->rows++;
	return p->fn(p->ctx, r);
}

/* Sets the list's error: the database is down, or another failure. */
static enum bpg_err
list_failed(struct bpg_svc *svc, enum bpg_err err)
{
	return bpg_svc_fail(svc, err == BPG_EUNAVAIL ? err : BPG_EINTERNAL, "%s",
	    err == BPG_EUNAVAIL ? "database unavailable" : "cannot list submissions");
}

enum bpg_err
bpg_svc_list(struct bpg_svc *svc, const struct bpg_sub_filter *f, int all,
    enum bpg_err (*fn)(void *ctx, const struct bpg_sub_row *r), void *ctx,
    struct bpg_svc_page *page)
{
	struct page_ctx p = { fn, ctx, page };
	struct bpg_sub_filter g = *f;
	enum bpg_err err = BPG_OK;

	memset(page, 0, sizeof(*page));
	if (!all) {
		err = bpg_subdb_list(svc->db, f, page_row, &p, &page->more);
		return err == BPG_OK ? BPG_OK : list_failed(svc, err);
	}
	/* every row, a keyset page of BPG_SUBDB_LIST_MAX at a time */
	g.limit = BPG_SUBDB_LIST_MAX;
	page->more = 1;
	while (page->more && err == BPG_OK) {
		page->more = 0;
		err = bpg_subdb_list(svc->db, &g, page_row, &p, &page->more);
		g.cursor_ms = page->last_ms;
		g.cursor_id = page->last_id;
	}
	if (err != BPG_OK && page->rows > 0)
		bpg_log(BPG_LOG_WARN, "list", "stream cut short", "error", bpg_err_str(err), NULL);
	return err == BPG_OK ? BPG_OK : list_failed(svc, err);
}

enum bpg_err
bpg_svc_batch_list(struct bpg_svc *svc, long long from, long long size,
    enum bpg_err (*fn)(void *ctx, long long id, int killed, const struct bpg_sub_row *r),
    void *ctx, long long *total_out)
{
	enum bpg_err err = bpg_subdb_livy_list(svc->db, svc->user->admin ? NULL : svc->user->name,
	    from, size, fn, ctx, total_out);

	if (err != BPG_OK)
		return bpg_svc_fail(svc, err == BPG_ENOMEM ? err : BPG_EUNAVAIL, "database unavailable");
	return BPG_OK;
}
