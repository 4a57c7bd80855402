/* Unit tests for bpg_multipart: one file part, the delimiter split at every offset. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bpg_buf.h"
#include "bpg_multipart.h"
#include "testkit.h"

#define CT "multipart/form-data; boundary=AaB03x"

static int
to_buf(void *ctx, const char *data, size_t len)
{
	return bpg_buf_append(ctx, data, len) != BPG_OK;
}

static int
refuse(void *ctx, const char *data, size_t len)
{
	(void)ctx;
	(void)data;
	(void)len;
	return 1;
}

/* curl -F 'file=@NAME' as it frames content (the part's content is len bytes). */
static void
framed(struct bpg_buf *body, const char *content, size_t len)
{
	bpg_buf_reset(body);
	ck_assert_int_eq(bpg_buf_printf(body, "--AaB03x\r\nContent-Disposition: form-data; "
	    "name=\"file\"; filename=\"app.py\"\r\nContent-Type: application/octet-stream\r\n\r\n"),
	    BPG_OK);
	ck_assert_int_eq(bpg_buf_append(body, content, len), BPG_OK);
	ck_assert_int_eq(bpg_buf_printf(body, "\r\n--AaB03x--\r\n"), BPG_OK);
}

/* Feeds body in chunks cut at the offsets in cuts (ascending, n of them). */
static enum bpg_err
run(const char *ct, const char *body, size_t len, const size_t *cuts, size_t n,
    struct bpg_buf *out, struct bpg_why *why)
{
	struct bpg_multipart *m = malloc(sizeof(*m));
	size_t at = 0;
	enum bpg_err err;

	ck_assert_ptr_nonnull(m);
	bpg_buf_reset(out);
	err = bpg_multipart_init(m, ct, to_buf, out, why);
	for (size_t i = 0; i <= n && err == BPG_OK; i++) {
		size_t end = i < n ? cuts[i] : len;
		err = bpg_multipart_feed(m, body + at, end - at, why);
		at = end;
	}
	if (err == BPG_OK)
		err = bpg_multipart_finish(m, why);
	if (err == BPG_OK)
		ck_assert_uint_eq(m->size, out->len);
	free(m);
	return err;
}

static const char tricky[] = "print('hi')\r\n--\r\n-\r\r\n--AaB03\r\n--AaB0\r\n--AaB03y-\r\n"
    "\r\n\r\n--Aa\r\n--AaB03x-ish?no\r\nend";

START_TEST(test_split_at_every_offset)
{
	/* "\r\n--AaB03x-" inside tricky is a delimiter: cut the content before it */
	size_t clen = (size_t)(strstr(tricky, "\r\n--AaB03x-") - tricky);
	struct bpg_buf body, out;
	char why[256];

	bpg_buf_init(&body, 0);
	bpg_buf_init(&out, 0);
	framed(&body, tricky, clen);
	for (size_t a = 0; a <= body.len; a++) {
		size_t cut = a;
		ck_assert_int_eq(run(CT, body.data, body.len, &cut, 1, &out, BPG_WHY(why)), BPG_OK);
		ck_assert_uint_eq(out.len, clen);
		ck_assert_mem_eq(out.data, tricky, clen);
	}
	/* byte by byte */
	{
		size_t *cuts = malloc(body.len * sizeof(*cuts));
		for (size_t i = 0; i < body.len; i++)
			cuts[i] = i;
		ck_assert_int_eq(run(CT, body.data, body.len, cuts, body.len, &out, BPG_WHY(why)),
		    BPG_OK);
		ck_assert_mem_eq(out.data, tricky, clen);
		free(cuts);
	}
	bpg_buf_release(&body);
	bpg_buf_release(&out);
}
END_TEST

START_TEST(test_two_cuts_everywhere)
{
	static const char content[] = "\r\n--AaB03\r\n-";
	struct bpg_buf body, out;
	char why[256];

	bpg_buf_init(&body, 0);
	bpg_buf_init(&out, 0);
	framed(&body, content, sizeof(content) - 1);
	for (size_t a = 0; a <= body.len; a++)
		for (size_t b = a; b <= body.len; b++) {
			size_t cuts[2] = { a, b };
			ck_assert_int_eq(run(CT, body.data, body.len, cuts, 2, &out, BPG_WHY(why)),
			    BPG_OK);
			ck_assert_uint_eq(out.len, sizeof(content) - 1);
			ck_assert_mem_eq(out.data, content, sizeof(content) - 1);
		}
	bpg_buf_release(&body);
	bpg_buf_release(&out);
}
END_TEST

START_TEST(test_binary_empty_preamble_epilogue)
{
	char bin[4096];
	struct bpg_buf body, out;
	char why[256];
	size_t cut = 1000;

	for (size_t i = 0; i < sizeof(bin); i++)
		bin[i] = (char)(i * 7 + (i >> 8));
	bpg_buf_init(&body, 0);
	bpg_buf_init(&out, 0);
	framed(&body, bin, sizeof(bin));
	ck_assert_int_eq(run(CT, body.data, body.len, &cut, 1, &out, BPG_WHY(why)), BPG_OK);
	ck_assert_mem_eq(out.data, bin, sizeof(bin));
	framed(&body, "", 0);
	ck_assert_int_eq(run(CT, body.data, body.len, NULL, 0, &out, BPG_WHY(why)), BPG_OK);
	ck_assert_uint_eq(out.len, 0);
	/* a preamble, blanks after a boundary, an epilogue, a quoted boundary */
	bpg_buf_reset(&body);
	bpg_buf_printf(&body, "preamble\r\n--AaB03x \t\r\nCONTENT-DISPOSITION: Form-Data; "
	    "filename=\"a;b.txt\"; name=f\r\n\r\nxyz\r\n--AaB03x--\r\nepilogue --AaB03x\r\n");
	ck_assert_int_eq(run("Multipart/Form-Data; charset=x; boundary=\"AaB03x\"", body.data,
	    body.len, NULL, 0, &out, BPG_WHY(why)), BPG_OK);
	ck_assert_uint_eq(out.len, 3);
	ck_assert_mem_eq(out.data, "xyz", 3);
	bpg_buf_release(&body);
	bpg_buf_release(&out);
}
END_TEST

static void
refused(const char *ct, const char *body, const char *want)
{
	struct bpg_buf out;
	char why[256] = "";

	bpg_buf_init(&out, 0);
	ck_assert_int_eq(run(ct, body, strlen(body), NULL, 0, &out, BPG_WHY(why)), BPG_EINVAL);
	ck_assert_msg(strstr(why, want) != NULL, "%s: got '%s'", want, why);
	bpg_buf_release(&out);
}

START_TEST(test_refused)
{
	char big[BPG_MULTIPART_HEADERS_MAX + 200], ct[200];

	refused("multipart/form-data", "", "without a boundary");
	refused("multipart/form-data; boundary=", "", "without a boundary");
	snprintf(ct, sizeof(ct), "multipart/form-data; boundary=%071d", 0);
	refused(ct, "", "longer than 70");
	refused("multipart/form-data; boundary=\"a\tb\"", "", "control character");
	refused(CT, "just bytes", "without its boundary line");
	refused(CT, "--AaB03x--\r\n", "no part");
	refused(CT, "--AaB03x\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nv\r\n--AaB03x--",
	    "not a file");
	refused(CT, "--AaB03x\r\n\r\nv\r\n--AaB03x--", "not a file");
	refused(CT, "--AaB03x\r\nContent-Disposition: form-data; filename=a\r\n\r\nv\r\n--AaB03x\r\n"
	    "Content-Disposition: form-data; filename=b\r\n\r\nw\r\n--AaB03x--", "more than one part");
	refused(CT, "--AaB03x\r\nContent-Disposition: form-data; filename=a\r\n"
	    "Content-Transfer-Encoding: base64\r\n\r\ndg==\r\n--AaB03x--", "base64");
	refused(CT, "--AaB03x\r\nContent-Disposition: form-data; filename=a\r\n\r\nv\r\n--AaB03x",
	    "before its closing boundary");
	refused(CT, "--AaB03x\r\nContent-Disposition: form-data; filename=a\r\n\r\nv", "before its "
	    "closing boundary");
	refused(CT, "--AaB03xyz\r\n", "followed by something else");
	refused(CT, "--AaB03x\n", "followed by something else");
	refused(CT, "--AaB03x\rX", "CRLF");
	memcpy(big, "--AaB03x\r\nX-Big: ", 17);
	memset(big + 17, 'a', sizeof(big) - 18);
	big[sizeof(big) - 1] = '\0';
	refused(CT, big, "headers longer than");
}
END_TEST

START_TEST(test_sink_refuses)
{
	struct bpg_multipart *m = malloc(sizeof(*m));
	struct bpg_buf body;
	char why[256];

	bpg_buf_init(&body, 0);
	framed(&body, "data", 4);
	ck_assert_int_eq(bpg_multipart_init(m, CT, refuse, NULL, BPG_WHY(why)), BPG_OK);
	ck_assert_int_eq(bpg_multipart_feed(m, body.data, body.len, BPG_WHY(why)), BPG_EIO);
	ck_assert_int_eq(bpg_multipart_feed(m, "x", 1, BPG_WHY(why)), BPG_EINVAL);
	ck_assert_int_eq(bpg_multipart_finish(m, BPG_WHY(why)), BPG_EINVAL);
	free(m);
	bpg_buf_release(&body);
}
END_TEST

/* Content-Types, and whether bpg_multipart_is_form takes them for a form. */
static const struct {
	const char *ct;
	int form;
} forms[] = {
	{ "multipart/form-data; boundary=x", 1 }, { " Multipart/Form-Data", 1 },
	{ "multipart/form-datax", 0 }, { "multipart/mixed; boundary=x", 0 },
	{ "application/octet-stream", 0 }, { NULL, 0 },
};

START_TEST(test_is_form)
{
	ck_assert_msg(bpg_multipart_is_form(forms[_i].ct) == forms[_i].form, "%s",
	    forms[_i].ct ? forms[_i].ct : "(null)");
}
END_TEST

int
main(void)
{
	const struct tk_test tests[] = {
		{ test_split_at_every_offset, 0 },
		{ test_two_cuts_everywhere, 0 },
		{ test_binary_empty_preamble_epilogue, 0 },
		{ test_refused, 0 },
		{ test_sink_refuses, 0 },
		{ test_is_form, (int)TK_LEN(forms) },
	};

	return tk_run("bpg_multipart", tests, TK_LEN(tests),
	    &(const struct tk_opts){ .timeout = 60 });
}
