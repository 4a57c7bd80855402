/* Unit tests for bpg_json: parse limits, UTF-8 checks, printing and the error body. */
#include <check.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include "bpg_json.h"
#include "testkit.h"

/* bpg_json_utf8_valid over byte strings (lengths given, so NUL can be inside). */
static const struct {
	const char *s;
	size_t n;
	int valid;
} utf8_cases[] = {
	{ "", 0, 1 },
	{ "plain ascii", 11, 1 },
	{ "\xc3\xa9", 2, 1 },                 /* U+00E9 */
	{ "\xc2\x80", 2, 1 },                 /* U+0080, smallest 2-byte */
	{ "\xdf\xbf", 2, 1 },                 /* U+07FF */
	{ "\xe0\xa0\x80", 3, 1 },             /* U+0800, smallest 3-byte */
	{ "\xe2\x82\xac", 3, 1 },             /* EURO SIGN */
	{ "\xed\x9f\xbf", 3, 1 },             /* U+D7FF, just below the surrogates */
	{ "\xee\x80\x80", 3, 1 },             /* U+E000, just above */
	{ "\xef\xbf\xbf", 3, 1 },             /* U+FFFF */
	{ "\xf0\x90\x80\x80", 4, 1 },         /* U+10000, smallest 4-byte */
	{ "\xf0\x9d\x84\x9e", 4, 1 },         /* MUSICAL SYMBOL G CLEF */
	{ "\xf4\x8f\xbf\xbf", 4, 1 },         /* U+10FFFF, the last code point */
	/* overlongs */
	{ "\xc0\x80", 2, 0 },                 /* NUL as 2 bytes */
	{ "\xc0\xaf", 2, 0 },                 /* '/' as 2 bytes */
	{ "\xc1\xbf", 2, 0 },
	{ "\xe0\x80\x80", 3, 0 },
	{ "\xe0\x80\xaf", 3, 0 },
	{ "\xe0\x9f\xbf", 3, 0 },             /* U+07FF as 3 bytes */
	{ "\xf0\x80\x80\x80", 4, 0 },
	{ "\xf0\x80\x80\xaf", 4, 0 },
	{ "\xf0\x8f\xbf\xbf", 4, 0 },         /* U+FFFF as 4 bytes */
	/* UTF-16 surrogates */
	{ "\xed\xa0\x80", 3, 0 },             /* U+D800 */
	{ "\xed\xad\xbf", 3, 0 },             /* U+DB7F */
	{ "\xed\xb0\x80", 3, 0 },             /* U+DC00 */
	{ "\xed\xbf\xbf", 3, 0 },             /* U+DFFF */
	{ "\xed\xa0\xbd\xed\xb8\x80", 6, 0 }, /* CESU-8 pair */
	/* beyond U+10FFFF and impossible bytes */
	{ "\xf4\x90\x80\x80", 4, 0 },
	{ "\xf5\x80\x80\x80", 4, 0 },
	{ "\xf8\x88\x80\x80\x80", 5, 0 },
	{ "\xfe", 1, 0 },
	{ "\xff", 1, 0 },
	/* broken sequences */
	{ "\x80", 1, 0 },                     /* lone continuation */
	{ "a\xbf" "b", 3, 0 },
	{ "\xc3", 1, 0 },                     /* truncated at the end */
	{ "\xe2\x82", 2, 0 },
	{ "\xf0\x9d\x84", 3, 0 },
	{ "\xc3" "a", 2, 0 },                 /* continuation missing */
	{ "\xe2\x28\xa1", 3, 0 },
	{ "\xe2\x82\x28", 3, 0 },
	/* the length is respected: the bad byte lies past n */
	{ "ok\xff", 2, 1 },
	{ "\xe2\x82\xac", 2, 0 },
};

START_TEST(test_utf8_table)
{
	ck_assert_msg(bpg_json_utf8_valid(utf8_cases[_i].s, utf8_cases[_i].n) ==
	    utf8_cases[_i].valid, "case %d", _i);
}
END_TEST

/* bpg_json_parse: accepted and rejected documents with a word of the reason. */
static const struct {
	const char *text;
	size_t n;             /* 0: strlen */
	enum bpg_err err;
	const char *why;      /* fragment of the reason when rejected */
} parse_cases[] = {
	{ "{}", 0, BPG_OK, NULL },
	{ "  {\"a\": [1, 2, {\"b\": null}]}  \r\n\t", 0, BPG_OK, NULL },
	{ "[]", 0, BPG_OK, NULL },
	{ "42", 0, BPG_OK, NULL },
	{ "\"str\"", 0, BPG_OK, NULL },
	{ "{\"k\":\"caf\xc3\xa9 \xf0\x9d\x84\x9e\"}", 0, BPG_OK, NULL },
	{ "{\"k\":\"\\u00e9\\ud834\\udd1e\"}", 0, BPG_OK, NULL },
	{ "{\"k\":\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\"}", 0, BPG_OK, NULL },
	{ "{\"k\":\"\\\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\"}", 0, BPG_OK, NULL },
	{ "", 0, BPG_EINVAL, "empty" },
	{ "{\"a\":1}\0", 8, BPG_EINVAL, "NUL" },
	{ "{\"a\":\"x\0y\"}", 11, BPG_EINVAL, "NUL" },
	{ "{\"k\":\"\xc0\xaf\"}", 0, BPG_EINVAL, "UTF-8" },
	{ "{\"k\":\"\xe0\x80\xaf\"}", 0, BPG_EINVAL, "UTF-8" },
	{ "{\"k\":\"\xf0\x80\x80\xaf\"}", 0, BPG_EINVAL, "UTF-8" },
	{ "{\"k\":\"\xed\xa0\x80\"}", 0, BPG_EINVAL, "UTF-8" },
	{ "{\"k\":\"\xed\xbf\xbf\"}", 0, BPG_EINVAL, "UTF-8" },
	{ "{\"k\":\"\xf4\x90\x80\x80\"}", 0, BPG_EINVAL, "UTF-8" },
	{ "{\"k\":\"\xff\"}", 0, BPG_EINVAL, "UTF-8" },
	{ "{\"k\":\"\xc3\"}", 0, BPG_EINVAL, "UTF-8" },
	{ "{\"k\":\"\xc3", 0, BPG_EINVAL, "UTF-8" },
	/* escaped lone surrogates are not turned into bytes either */
	{ "{\"k\":\"\\udc00\"}", 0, BPG_EINVAL, "malformed" },
	{ "{\"k\":\"\\ud800\"}", 0, BPG_EINVAL, "malformed" },
	{ "{} x", 0, BPG_EINVAL, "trailing" },
	{ "{}{}", 0, BPG_EINVAL, "trailing" },
	{ "[1] [2]", 0, BPG_EINVAL, "trailing" },
	{ "1 2", 0, BPG_EINVAL, "trailing" },
	{ "{}\x0b", 0, BPG_EINVAL, "trailing" },
	{ "{\"a\":}", 0, BPG_EINVAL, "malformed" },
	{ "{\"a\":1,}", 0, BPG_EINVAL, "malformed" },
	{ "[1,2", 0, BPG_EINVAL, "malformed" },
	{ "nul", 0, BPG_EINVAL, "malformed" },
	{ "{'a':1}", 0, BPG_EINVAL, "malformed" },
	{ "   ", 0, BPG_EINVAL, "malformed" },
	/* \u escapes: cJSON read a bad one as U+0000 and cut the string (hostile-input tests) */
	{ "{\"k\":\"a\\uZZZZb\"}", 0, BPG_EINVAL, "\\u escape at byte 7" },
	{ "{\"k\":\"a\\u12\"}", 0, BPG_EINVAL, "\\u escape" },
	{ "{\"k\":\"a\\u\"}", 0, BPG_EINVAL, "\\u escape" },
	{ "{\"k\":\"\\u00e9\\u0041\"}", 0, BPG_OK, NULL },
	{ "{\"k\":\"\\\\uZZZZ\"}", 0, BPG_OK, NULL },            /* an escaped backslash, then text */
	{ "{\"k\":\"a\\u0000b\"}", 0, BPG_OK, NULL },             /* allowed without BPG_JSON_NO_NUL */
	/* raw control characters inside strings are not JSON; outside they are whitespace or junk */
	{ "{\"k\":\"a\nb\"}", 0, BPG_EINVAL, "control character in a string at byte 7" },
	{ "{\"k\":\"a\x01\"}", 0, BPG_EINVAL, "control character" },
	{ "{\"k\x1f\":1}", 0, BPG_EINVAL, "control character" },
	{ "{\"k\":\n\t\"v\"\r\n}", 0, BPG_OK, NULL },
};

START_TEST(test_parse_table)
{
	size_t n = parse_cases[_i].n ? parse_cases[_i].n : strlen(parse_cases[_i].text);
	cJSON *j = NULL;
	char why[128] = "";
	enum bpg_err err;

	err = bpg_json_parse(parse_cases[_i].text, n, &j, BPG_WHY(why));
	ck_assert_msg(err == parse_cases[_i].err, "case %d: got %d (%s)", _i, err, why);
	if (err == BPG_OK) {
		ck_assert_ptr_nonnull(j);
		cJSON_Delete(j);
	} else {
		ck_assert_ptr_null(j);
		ck_assert_msg(strstr(why, parse_cases[_i].why) != NULL, "case %d: why '%s'", _i, why);
	}
}
END_TEST

/* BPG_JSON_NO_NUL refuses \u0000 wherever it is in a string, and only there. */
static const struct {
	const char *text;
	enum bpg_err err;
} nul_cases[] = {
	{ "{\"k\":\"a\\u0000b\"}", BPG_EINVAL },
	{ "{\"k\\u0000\":\"v\"}", BPG_EINVAL },
	{ "[\"x\",\"\\u0000\"]", BPG_EINVAL },
	{ "{\"k\":\"\\\\u0000\"}", BPG_OK },        /* the six characters \u0000 */
	{ "{\"k\":\"\\u0001\\u00000\"}", BPG_EINVAL },
	{ "{\"k\":\"\\u0100\"}", BPG_OK },
};

START_TEST(test_parse_no_nul)
{
	const char *t = nul_cases[_i].text;
	cJSON *j = NULL;
	char why[128] = "";
	enum bpg_err err;

	err = bpg_json_parse_flags(t, strlen(t), BPG_JSON_NO_NUL, &j, BPG_WHY(why));
	ck_assert_msg(err == nul_cases[_i].err, "case %d: got %d (%s)", _i, err, why);
	if (err == BPG_OK)
		cJSON_Delete(j);
	else
		ck_assert_ptr_nonnull(strstr(why, "NUL character (\\u0000) in a string at byte"));
	err = bpg_json_parse(t, strlen(t), &j, BPG_WHY(why));
	ck_assert_int_eq(err, BPG_OK);
	cJSON_Delete(j);
}
END_TEST

/* Builds depth levels of nested arrays (or objects) in a fresh string. */
static char *
nested(int depth, int objects)
{
	size_t per = objects ? 5 : 1;    /* {"a": ... } */
	char *s = malloc((size_t)depth * (per + 1) + 8), *p = s;

	ck_assert_ptr_nonnull(s);
	for (int i = 0; i < depth; i++) {
		if (objects) {
			memcpy(p, "{\"a\":", 5);
			p += 5;
		} else {
			*p++ = '[';
		}
	}
	*p++ = '1';
	for (int i = 0; i < depth; i++)
		*p++ = objects ? '}' : ']';
	*p = '\0';
	return s;
}

START_TEST(test_depth_limit)
{
	for (int objects = 0; objects <= 1; objects++) {
		char why[128];
		cJSON *j = NULL;
		char *ok = nested(BPG_JSON_MAX_DEPTH, objects);
		char *deep = nested(BPG_JSON_MAX_DEPTH + 1, objects);
		char *huge = nested(100000, objects);

		ck_assert_int_eq(bpg_json_parse(ok, strlen(ok), &j, BPG_WHY(why)), BPG_OK);
		cJSON_Delete(j);
		j = NULL;
		ck_assert_int_eq(bpg_json_parse(deep, strlen(deep), &j, BPG_WHY(why)), BPG_EINVAL);
		ck_assert_ptr_nonnull(strstr(why, "deeper than 32"));
		ck_assert_int_eq(bpg_json_parse(huge, strlen(huge), &j, BPG_WHY(why)), BPG_EINVAL);
		ck_assert_ptr_nonnull(strstr(why, "deeper"));
		ck_assert_ptr_null(j);
		free(ok);
		free(deep);
		free(huge);
	}
}
END_TEST

/* The input need not be NUL-terminated: only len bytes are read. */
START_TEST(test_parse_not_terminated)
{
	char text[8];
	char why[64];
	cJSON *j = NULL;

	memcpy(text, "[1,2]xyz", 8);
	ck_assert_int_eq(bpg_json_parse(text, 5, &j, BPG_WHY(why)), BPG_OK);
	ck_assert_int_eq(cJSON_GetArraySize(j), 2);
	cJSON_Delete(j);
	ck_assert_int_eq(bpg_json_parse(text, 6, &j, BPG_WHY(why)), BPG_EINVAL);
}
END_TEST

START_TEST(test_print)
{
	struct bpg_buf b;
	cJSON *j = cJSON_CreateObject();

	bpg_buf_init(&b, 0);
	cJSON_AddStringToObject(j, "a", "x\"y");
	cJSON_AddNumberToObject(j, "n", 3);
	ck_assert_int_eq(bpg_buf_puts(&b, "pre:"), BPG_OK);
	ck_assert_int_eq(bpg_json_print(j, &b), BPG_OK);
	ck_assert_str_eq(b.data, "pre:{\"a\":\"x\\\"y\",\"n\":3}");
	bpg_buf_release(&b);
	/* over the buffer's limit */
	bpg_buf_init(&b, 4);
	ck_assert_int_eq(bpg_json_print(j, &b), BPG_ETOOLARGE);
	bpg_buf_release(&b);
	cJSON_Delete(j);
}
END_TEST

/* bpg_json_print is byte for byte what cJSON_PrintUnformatted gives. */
static const char *const same_cases[] = {
	"{}", "[]", "null", "true", "false", "\"\"", "0", "-0", "1", "-1", "2147483647",
	"2147483648", "-2147483649", "1733333333333", "-1733333333333", "999999999999999",
	"1000000000000000", "1e300", "-1e-300", "0.1", "3.14159", "1.5e15", "123456789012345678",
	"9007199254740993", "0.30000000000000004",
	"{\"a\":\"x\\\"y\\\\z\",\"n\":[1,2.5,-3,{\"k\":null,\"\":true}],\"e\":{},\"l\":[]}",
	"\"ctl\\u0001\\u001f\\b\\f\\n\\r\\t/\\u007f caf\\u00e9 \\ud83d\\ude00\"",
	"{\"creationTime\":1764866400123,\"duration\":0,\"attempts\":[{\"x\":1e-7}]}",
	"[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]",
	/* past 8 bytes (read a word at a time): escapes at every offset in a word */
	"[\"abcdefgh\\\"ijklmnopq\\rstuvwxy\\u0002z0123456789abcdef\\\\\", \"\\u001f\\u001f\\u001f\\u001f"
	"\\u001f\\u001f\\u001f\\u001f\\u001f\", \"\u00ff\u00fe\u00fd\u00fc\u00fb\u00fa\u00f9\u00f8\u00f7\"]",
};

START_TEST(test_print_same_as_cjson)
{
	struct bpg_buf b;
	cJSON *j = cJSON_Parse(same_cases[_i]);
	char *want;

	ck_assert_ptr_nonnull(j);
	want = cJSON_PrintUnformatted(j);
	bpg_buf_init(&b, 0);
	ck_assert_int_eq(bpg_json_print(j, &b), BPG_OK);
	ck_assert_str_eq(b.data, want);
	ck_assert_uint_eq(b.len, strlen(want));
	bpg_buf_release(&b);
	cJSON_free(want);
	cJSON_Delete(j);
}
END_TEST

/* Numbers built in code (not parsed), raw items, and a failure that leaves out as it was. */
START_TEST(test_print_built)
{
	static const double nums[] = { 0, -0.0, 1, 1764866400123.0, -1e14, 1e15, 0.5, 1.0 / 3,
	    1e-320, 4294967296.0 };
	struct bpg_buf b;
	cJSON *j = cJSON_CreateArray();
	char *want;

	for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++)
		cJSON_AddItemToArray(j, cJSON_CreateNumber(nums[i]));
	cJSON_AddItemToArray(j, cJSON_CreateRaw("{\"raw\":1}"));
	cJSON_AddItemToArray(j, cJSON_CreateString(NULL));
	want = cJSON_PrintUnformatted(j);
	bpg_buf_init(&b, 0);
	ck_assert_int_eq(bpg_json_print(j, &b), BPG_OK);
	ck_assert_str_eq(b.data, want);
	bpg_buf_release(&b);
	cJSON_free(want);
	/* over the limit: ETOOLARGE, and what was there before stays as it was */
	bpg_buf_init(&b, 16);
	ck_assert_int_eq(bpg_buf_puts(&b, "pre:"), BPG_OK);
	ck_assert_int_eq(bpg_json_print(j, &b), BPG_ETOOLARGE);
	ck_assert_str_eq(b.data, "pre:");
	ck_assert_uint_eq(b.len, 4);
	bpg_buf_release(&b);
	cJSON_Delete(j);
}
END_TEST

/* Numbers over many magnitudes, decimals and random bit patterns print as cJSON prints them. */
START_TEST(test_print_numbers_same_as_cjson)
{
	static const double scales[] = { 1, 10, 100, 1000, 10000, 3, 7 };
	unsigned long long x = 88172645463325252ULL;
	struct bpg_buf b;
	char *want;

	bpg_buf_init(&b, 0);
	for (int i = 0; i < 200000; i++) {
		cJSON *n;
		double d, k;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		k = (double)(x % 2000000) * (i % 3 == 0 ? 1 : (double)(x >> 40) + 1);
		d = i % 11 == 10 ? 0 : k / scales[i % 7];
		if (i % 5 == 4)
			memcpy(&d, &x, sizeof(d));
		if (i % 2)
			d = -d;
		n = cJSON_CreateNumber(d);
		want = cJSON_PrintUnformatted(n);
		bpg_buf_reset(&b);
		ck_assert_int_eq(bpg_json_print(n, &b), BPG_OK);
		ck_assert_msg(strcmp(b.data, want) == 0, "%.17g: %s, cJSON %s", d, b.data, want);
		cJSON_free(want);
		cJSON_Delete(n);
	}
	bpg_buf_release(&b);
}
END_TEST

/* The error body escapes what the message holds and reads back the same. */
static const struct {
	int status;
	const char *message;
	const char *body;
} body_cases[] = {
	{ 404, "submission c01-x not found", "{\"code\":404,\"message\":\"submission c01-x not found\"}" },
	{ 400, "bad \"name\"", "{\"code\":400,\"message\":\"bad \\\"name\\\"\"}" },
	{ 400, "a\\b", "{\"code\":400,\"message\":\"a\\\\b\"}" },
	{ 400, "l1\nl2\r\t", "{\"code\":400,\"message\":\"l1\\nl2\\r\\t\"}" },
	{ 400, "ctl\x01\x1f", "{\"code\":400,\"message\":\"ctl\\u0001\\u001f\"}" },
	{ 400, "</script><script>", "{\"code\":400,\"message\":\"</script><script>\"}" },
	{ 400, "\",\"code\":200,\"x\":\"", "{\"code\":400,\"message\":\"\\\",\\\"code\\\":200,\\\"x\\\":\\\"\"}" },
	{ 500, "caf\xc3\xa9", "{\"code\":500,\"message\":\"caf\xc3\xa9\"}" },
	{ 500, "", "{\"code\":500,\"message\":\"\"}" },
	{ 503, NULL, "{\"code\":503,\"message\":\"\"}" },
};

START_TEST(test_error_body)
{
	struct bpg_buf b;
	cJSON *j = NULL;
	char why[64];

	bpg_buf_init(&b, 0);
	ck_assert_int_eq(bpg_json_error_body(body_cases[_i].status, body_cases[_i].message, &b),
	    BPG_OK);
	ck_assert_str_eq(b.data, body_cases[_i].body);
	ck_assert_ptr_null(strchr(b.data, '\n'));
	/* it parses back to the same two fields */
	ck_assert_int_eq(bpg_json_parse(b.data, b.len, &j, BPG_WHY(why)), BPG_OK);
	ck_assert_int_eq(cJSON_GetArraySize(j), 2);
	ck_assert_int_eq(cJSON_GetObjectItem(j, "code")->valueint, body_cases[_i].status);
	ck_assert_str_eq(cJSON_GetObjectItem(j, "message")->valuestring,
	    body_cases[_i].message ? body_cases[_i].message : "");
	cJSON_Delete(j);
	bpg_buf_release(&b);
}
END_TEST

/* bpg_json_pick: the value at a path, as cJSON's lookups find it, or nothing for non-JSON. */
static const struct {
	const char *text;
	const char *dag;    /* raw span at driver.labels.dag_name, NULL when none */
	const char *args;   /* raw span at arguments */
	enum bpg_err err;
} pick_cases[] = {
	{ "{\"arguments\":[\"a\",1],\"driver\":{\"labels\":{\"dag_name\":\"x\"}}}", "\"x\"",
	  "[\"a\",1]", BPG_OK },
	{ " { \"driver\" : { \"labels\" : { \"dag_name\" : \"a\\\"b\" } } , \"arguments\" : [ ] } ",
	  "\"a\\\"b\"", "[ ]", BPG_OK },
	/* the first of two members, as cJSON_GetObjectItem */
	{ "{\"arguments\":[1],\"arguments\":[2]}", NULL, "[1]", BPG_OK },
	/* nested keys of the same name elsewhere are not the path */
	{ "{\"x\":{\"arguments\":[1]},\"labels\":{\"dag_name\":\"n\"}}", NULL, NULL, BPG_OK },
	{ "{\"driver\":[{\"labels\":{\"dag_name\":\"n\"}}]}", NULL, NULL, BPG_OK },
	{ "{\"driver\":{\"labels\":{\"dag_name\":null}},\"arguments\":true}", "null", "true", BPG_OK },
	{ "{\"arguments\":-1.5e3}", NULL, "-1.5e3", BPG_OK },
	/* text after the value is ignored, as cJSON_Parse does */
	{ "{\"arguments\":[]} trailing", NULL, "[]", BPG_OK },
	{ "not json", NULL, NULL, BPG_EINVAL },
	{ "{\"arguments\":[1,]", NULL, NULL, BPG_EINVAL },
	{ "{\"arguments\":[1]", NULL, NULL, BPG_EINVAL },
	{ "{\"arguments\" [1]}", NULL, NULL, BPG_EINVAL },
	{ "{\"a\":\"\\x\"}", NULL, NULL, BPG_EINVAL },
	{ "{\"a\":\"\\u12\"}", NULL, NULL, BPG_EINVAL },
	{ "{\"a\":\"tab\there\"}", NULL, NULL, BPG_EINVAL },
	{ "{\"a\":\"open", NULL, NULL, BPG_EINVAL },
	{ "{\"arguments\":[1],\"b\":}", NULL, NULL, BPG_EINVAL },
	{ "", NULL, NULL, BPG_EINVAL },
};

START_TEST(test_pick)
{
	static const char *const dag[] = { "driver", "labels", "dag_name", NULL };
	static const char *const args[] = { "arguments", NULL };
	static const char *const *const paths[] = { dag, args };
	const char *text = pick_cases[_i].text, *want[2] = { pick_cases[_i].dag, pick_cases[_i].args };
	struct bpg_json_span v[2];

	ck_assert_int_eq(bpg_json_pick(text, strlen(text), paths, 2, v), pick_cases[_i].err);
	for (int i = 0; i < 2; i++) {
		if (want[i] == NULL) {
			ck_assert_ptr_null(v[i].p);
			continue;
		}
		ck_assert_ptr_nonnull(v[i].p);
		ck_assert_uint_eq(v[i].len, strlen(want[i]));
		ck_assert_int_eq(memcmp(v[i].p, want[i], v[i].len), 0);
	}
}
END_TEST

/* A picked string copied as it is only when nothing needs unescaping and it fits. */
START_TEST(test_span_plain)
{
	static const struct { const char *raw; size_t cap; int ok; const char *want; } cases[] = {
		{ "\"2026-12-05T08:15:17Z\"", 64, 1, "2026-12-05T08:15:17Z" },
		{ "\"\"", 1, 1, "" },
		{ "\"abc\"", 3, 0, NULL },        /* no room for the NUL */
		{ "\"a\\\"b\"", 64, 0, NULL },   /* an escape: parse it instead */
		{ "17", 64, 0, NULL },              /* not a string */
	};
	char out[64];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct bpg_json_span sp = { cases[i].raw, strlen(cases[i].raw) };
		strcpy(out, "untouched");
		ck_assert_int_eq(bpg_json_span_plain(&sp, out, cases[i].cap), cases[i].ok);
		ck_assert_str_eq(out, cases[i].ok ? cases[i].want : "untouched");
	}
}
END_TEST

/* Nesting past cJSON's limit is refused, not a stack overflow. */
START_TEST(test_pick_deep)
{
	static const char *const p0[] = { "a", NULL };
	static const char *const *const paths[] = { p0 };
	size_t n = 200000;
	char *t = malloc(2 * n + 1);
	struct bpg_json_span v[1];

	memset(t, '[', n);
	memset(t + n, ']', n);
	t[2 * n] = '\0';
	ck_assert_int_eq(bpg_json_pick(t, 2 * n, paths, 1, v), BPG_EINVAL);
	free(t);
}
END_TEST

/* {key: the integer iv, or the string sv when not NULL} by the writers and by bpg_json_print. */
static void
check_member(const char *key, long long iv, const char *sv)
{
	cJSON *o = cJSON_CreateObject();
	struct bpg_buf a, b;

	if (sv != NULL)
		cJSON_AddStringToObject(o, key, sv);
	else
		cJSON_AddNumberToObject(o, key, (double)iv);
	bpg_buf_init(&a, 0);
	bpg_buf_init(&b, 0);
	ck_assert_int_eq(bpg_json_print(o, &a), BPG_OK);
	ck_assert_int_eq(bpg_json_put_key(&b, '{', key), BPG_OK);
	ck_assert_int_eq(sv != NULL ? bpg_json_put_str(&b, sv) : bpg_json_put_int(&b, iv), BPG_OK);
	ck_assert_int_eq(bpg_buf_append(&b, "}", 1), BPG_OK);
	ck_assert_str_eq(a.data, b.data);
	bpg_buf_release(&a);
	bpg_buf_release(&b);
	cJSON_Delete(o);
}

/* The writers give what bpg_json_print gives for the same tree. */
START_TEST(test_put_same_as_print)
{
	static const long long ints[] = { 0, 1, -1, 9, 10, 1700000000123LL, -42, 9007199254740991LL };
	static const char *const strs[] = { "", "plain", "q\"uote", "back\\slash", "ctl\x01\n",
	    "ütf-8 ✓", "a key longer than twenty-four bytes" };

	for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++)
		check_member("k", ints[i], NULL);
	struct bpg_buf a, b;

	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
		check_member(strs[i], 0, strs[i]);
	/* a plain word as key: the same as the escaping writer gives */
	bpg_buf_init(&a, 0);
	bpg_buf_init(&b, 0);
	ck_assert_int_eq(bpg_json_put_key(&a, ',', "applicationState"), BPG_OK);
	ck_assert_int_eq(bpg_json_put_word(&b, ',', "applicationState"), BPG_OK);
	ck_assert_str_eq(a.data, b.data);
	bpg_buf_release(&a);
	bpg_buf_release(&b);
	/* a word and an integer in one go: the same as the two writers, large and negative too */
	static const long long more[] = { 0, -1, 1700000000123LL, -999999999999999LL,
	    1000000000000000LL, -1000000000000000LL, 9007199254740993LL, LLONG_MIN, LLONG_MAX };
	for (size_t i = 0; i < sizeof(more) / sizeof(more[0]); i++) {
		bpg_buf_init(&a, 0);
		bpg_buf_init(&b, 0);
		ck_assert_int_eq(bpg_json_put_word(&a, '{', "totalCores"), BPG_OK);
		ck_assert_int_eq(bpg_json_put_int(&a, more[i]), BPG_OK);
		ck_assert_int_eq(bpg_json_put_word_int(&b, '{', "totalCores", more[i]), BPG_OK);
		ck_assert_str_eq(a.data, b.data);
		ck_assert_uint_eq(a.len, b.len);
		bpg_buf_release(&a);
		bpg_buf_release(&b);
	}
}
END_TEST


int
main(void)
{
	const struct tk_test tests[] = {
		TK_LOOP(test_utf8_table, utf8_cases),
		TK_LOOP(test_parse_table, parse_cases),
		TK_LOOP(test_parse_no_nul, nul_cases),
		TK_TEST(test_depth_limit),
		TK_TEST(test_parse_not_terminated),
		TK_TEST(test_print),
		TK_LOOP(test_print_same_as_cjson, same_cases),
		TK_TEST(test_print_built),
		TK_TEST(test_print_numbers_same_as_cjson),
		TK_LOOP(test_error_body, body_cases),
		TK_LOOP(test_pick, pick_cases),
		TK_TEST(test_pick_deep),
		TK_TEST(test_span_plain),
		TK_TEST(test_put_same_as_print),
	};

	return tk_run("bpg_json", tests, TK_LEN(tests), NULL);
}
