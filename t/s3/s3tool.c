/*
 * s3tool: a small CLI over lib/bpg_s3 for t/s3/test_s3client.py and by-hand checks.
 *
 * usage: s3tool [-c gateway.ini] [-b bucket] [-p page_size] COMMAND ARGS
 *   put KEY FILE [CONTENT_TYPE]    FILE "-" is stdin
 *   get KEY [OFFSET [LENGTH]]      to stdout
 *   head KEY                       prints the size (and a TAB and the owner when it has one)
 *   delete KEY
 *   list [PREFIX]                  "size<TAB>etag<TAB>key" lines
 *   mpu-upload KEY FILE PART_BYTES multipart upload of FILE; prints the number of parts
 *   mpu-create KEY                 prints the upload id (leaves the upload open)
 *   mpu-list [PREFIX]              "key<TAB>upload_id" lines
 *   mpu-abort KEY UPLOAD_ID
 *   stream KEY FILE PART_BYTES CONCURRENCY [SPOOL_DIR]
 *                                  FILE through bpg_s3up (CONCURRENCY 0: no pool, in memory)
 * Without -c the S3 settings come from the environment: BPG_S3_ENDPOINT, BPG_S3_REGION,
 * BPG_S3_BUCKET, BPG_S3_PATH_STYLE (1: path-style), BPG_S3_CA_FILE,
 * BPG_S3_CONNECT_TIMEOUT_MS, BPG_S3_TIMEOUT_MS; credentials as bpg_s3_new() finds them.
 * $BPG_S3_OWNER, when set, is recorded on what put, mpu-* and stream write (x-amz-meta-bpg-owner).
 * Exit status: 0, 2 for usage, else 10 + the enum bpg_err value (14 not found, 21 upstream,
 * 22 unavailable, 23 timeout, 24 config).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "bpg_config.h"
#include "bpg_log.h"
#include "bpg_s3.h"
#include "bpg_s3up.h"

#define EXIT_ERR(e) (10 + (int)(e))

struct tool {
	struct bpg_s3 *s3;
	const struct bpg_s3_conf *conf;
	const char *bucket;
	const char *owner;      /* $BPG_S3_OWNER: recorded on what put, mpu-* and stream write */
	char why[1024];
};

/* Parses a non-negative decimal number of at most max; -1 if it is not one. */
static long long
parse_num(const char *s, long long max)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < 0 || v > max)
		return -1;
	return v;
}

/* Reads all of fp into b; BPG_EIO on a read error. */
static enum bpg_err
read_all(FILE *fp, struct bpg_buf *b)
{
	char chunk[65536];
	size_t n;
	enum bpg_err err;

	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		if ((err = bpg_buf_append(b, chunk, n)) != BPG_OK)
			return err;
	return ferror(fp) ? BPG_EIO : bpg_buf_append(b, "", 0);
}

static int
to_stdout(void *arg, const char *data, size_t len)
{
	(void)arg;
	return fwrite(data, 1, len, stdout) != len;
}

static int
print_object(void *arg, const struct bpg_s3_object *o)
{
	(void)arg;
	printf("%lld\t%s\t%s\n", o->size, o->etag, o->key);
	return 0;
}

static int
print_upload(void *arg, const char *key, const char *upload_id, long long initiated_ms)
{
	(void)arg;
	printf("%s\t%s\t%lld\n", key, upload_id, initiated_ms);
	return 0;
}

static enum bpg_err
cmd_put(struct tool *t, int argc, char **argv)
{
	FILE *fp = strcmp(argv[1], "-") == 0 ? stdin : fopen(argv[1], "rb");
	struct bpg_buf b;
	enum bpg_err err;

	if (fp == NULL) {
		return bpg_why_set(BPG_WHY(t->why), BPG_EIO, "cannot open %s: %s", argv[1],
		    strerror(errno));
	}
	bpg_buf_init(&b, (size_t)1 << 30);
	if ((err = read_all(fp, &b)) == BPG_OK) {
		struct bpg_s3_req q = { .bucket = t->bucket, .key = argv[0], .data = b.data,
		    .len = b.len, .content_type = argc > 2 ? argv[2] : NULL, .owner = t->owner };
		err = bpg_s3_put(t->s3, &q, BPG_WHY(t->why));
	}
	if (fp != stdin)
		fclose(fp);
	bpg_buf_release(&b);
	return err;
}

static enum bpg_err
cmd_get(struct tool *t, int argc, char **argv)
{
	long long off = argc > 1 ? parse_num(argv[1], (long long)1 << 50) : 0;
	long long len = argc > 2 ? parse_num(argv[2], (long long)1 << 50) : -1;
	enum bpg_err err;

	if (off < 0 || (argc > 2 && len < 0)) {
		return bpg_why_set(BPG_WHY(t->why), BPG_EINVAL, "bad OFFSET or LENGTH");
	}
	struct bpg_s3_req q = { .bucket = t->bucket, .key = argv[0], .offset = off, .length = len,
	    .sink = to_stdout };

	err = bpg_s3_fetch(t->s3, &q, BPG_WHY(t->why));
	if (fflush(stdout) != 0 && err == BPG_OK)
		err = BPG_EIO;
	return err;
}

static enum bpg_err
cmd_head(struct tool *t, int argc, char **argv)
{
	long long size = -1;
	char owner[BPG_S3_OWNER_MAX + 1];
	enum bpg_err err;

	(void)argc;
	if ((err = bpg_s3_head_owner(t->s3, t->bucket, argv[0], &size, owner,
	    BPG_WHY(t->why))) == BPG_OK)
		printf("%lld%s%s\n", size, owner[0] ? "\t" : "", owner);
	return err;
}

static enum bpg_err
cmd_delete(struct tool *t, int argc, char **argv)
{
	(void)argc;
	return bpg_s3_delete(t->s3, t->bucket, argv[0], BPG_WHY(t->why));
}

static enum bpg_err
cmd_list(struct tool *t, int argc, char **argv)
{
	return bpg_s3_list(t->s3, t->bucket, argc > 0 ? argv[0] : "", print_object, NULL,
	    BPG_WHY(t->why));
}

static enum bpg_err
cmd_mpu_list(struct tool *t, int argc, char **argv)
{
	return bpg_s3_mpu_list(t->s3, t->bucket, argc > 0 ? argv[0] : "", print_upload, NULL,
	    BPG_WHY(t->why));
}

static enum bpg_err
cmd_mpu_create(struct tool *t, int argc, char **argv)
{
	char id[BPG_S3_UPLOAD_ID_MAX];
	struct bpg_s3_req q = { .bucket = t->bucket, .key = argv[0], .owner = t->owner };
	enum bpg_err err;

	(void)argc;
	err = bpg_s3_mpu_create(t->s3, &q, id, BPG_WHY(t->why));
	if (err == BPG_OK)
		printf("%s\n", id);
	return err;
}

static enum bpg_err
cmd_mpu_abort(struct tool *t, int argc, char **argv)
{
	(void)argc;
	return bpg_s3_mpu_abort(t->s3, t->bucket, argv[0], argv[1], BPG_WHY(t->why));
}

/* Sends the parts of fp; n_out gets their count. */
static enum bpg_err
mpu_parts(struct tool *t, const char *key, const char *id, FILE *fp, char *part, size_t psize,
    char (*etags)[BPG_S3_ETAG_MAX], int *n_out)
{
	struct bpg_s3_req q = { .bucket = t->bucket, .key = key, .upload_id = id, .data = part };
	enum bpg_err err = BPG_OK;
	size_t n;
	int i = 0;

	while (err == BPG_OK && (n = fread(part, 1, psize, fp)) > 0) {
		if (i == BPG_S3_MAX_PARTS)
			return BPG_ETOOLARGE;
		q.part_no = i + 1;
		q.len = n;
		err = bpg_s3_mpu_part(t->s3, &q, etags[i], BPG_WHY(t->why));
		i++;
	}
	if (err == BPG_OK && ferror(fp))
		err = BPG_EIO;
	*n_out = i;
	return err;
}

static enum bpg_err
cmd_mpu_upload(struct tool *t, int argc, char **argv)
{
	long long psize = parse_num(argv[2], (long long)1 << 30);
	char (*etags)[BPG_S3_ETAG_MAX] = calloc(BPG_S3_MAX_PARTS, BPG_S3_ETAG_MAX);
	char id[BPG_S3_UPLOAD_ID_MAX] = "", *part = psize > 0 ? malloc((size_t)psize) : NULL;
	FILE *fp = fopen(argv[1], "rb");
	struct bpg_s3_req q = { .bucket = t->bucket, .key = argv[0], .owner = t->owner,
	    .upload_id = id };
	struct bpg_s3_parts parts = { etags, NULL, 0 };
	enum bpg_err err = BPG_EINVAL;
	int n = 0;

	(void)argc;
	if (psize <= 0 || fp == NULL || etags == NULL || part == NULL) {
		bpg_why_set(BPG_WHY(t->why), err, "bad PART_BYTES, or cannot open %s", argv[1]);
		goto out;
	}
	if ((err = bpg_s3_mpu_create(t->s3, &q, id, BPG_WHY(t->why))) != BPG_OK ||
	    (err = mpu_parts(t, argv[0], id, fp, part, (size_t)psize, etags, &n)) != BPG_OK)
		goto out;
	parts.n = n;
	if ((err = bpg_s3_mpu_complete(t->s3, &q, &parts, BPG_WHY(t->why))) != BPG_OK)
		goto out;
	printf("%d\n", n);
out:
	if (err != BPG_OK && id[0] != '\0') {
		char why2[256];
		(void)bpg_s3_mpu_abort(t->s3, t->bucket, argv[0], id, BPG_WHY(why2));
	}
	if (fp != NULL)
		fclose(fp);
	free(part);
	free(etags);
	return err;
}

/* Feeds the file through bpg_s3up: CONCURRENCY > 0 with a pool spooling in SPOOL_DIR. */
static enum bpg_err
cmd_stream(struct tool *t, int argc, char **argv)
{
	long long psize = parse_num(argv[2], (long long)1 << 30);
	long long conc = parse_num(argv[3], 64);
	struct bpg_s3_conf conf = *t->conf;
	struct bpg_s3up_pool *pool = NULL;
	struct bpg_s3up *w = NULL;
	unsigned long long size = 0;
	char *chunk = malloc(65536);
	FILE *fp = fopen(argv[1], "rb");
	enum bpg_err err = BPG_EINVAL;
	size_t n;

	conf.upload_concurrency = conc;
	conf.upload_spool_dir = argc > 4 ? argv[4] : NULL;
	if (psize <= 0 || conc < 0 || fp == NULL || chunk == NULL) {
		bpg_why_set(BPG_WHY(t->why), err,
		    "bad PART_BYTES or CONCURRENCY, or cannot open %s",
		    argv[1]);
		goto out;
	}
	if ((conc > 0 && (err = bpg_s3up_pool_new(&conf, &pool)) != BPG_OK) ||
	    (err = bpg_s3up_new(t->s3, pool, t->bucket, argv[0], (size_t)psize, &w)) != BPG_OK ||
	    (t->owner != NULL && (err = bpg_s3up_set_owner(w, t->owner)) != BPG_OK))
		goto out;
	while (err == BPG_OK && (n = fread(chunk, 1, 65536, fp)) > 0)
		err = bpg_s3up_write(w, chunk, n, BPG_WHY(t->why));
	if (err == BPG_OK && (err = bpg_s3up_close(w, &size, BPG_WHY(t->why))) == BPG_OK)
		printf("%llu\n", size);
out:
	bpg_s3up_free(w);
	bpg_s3up_pool_free(pool);
	if (fp != NULL)
		fclose(fp);
	free(chunk);
	return err;
}

static const struct {
	const char *name;
	int min_args, max_args;
	enum bpg_err (*fn)(struct tool *, int, char **);
} cmds[] = {
	{ "put", 2, 3, cmd_put },
	{ "get", 1, 3, cmd_get },
	{ "head", 1, 1, cmd_head },
	{ "delete", 1, 1, cmd_delete },
	{ "list", 0, 1, cmd_list },
	{ "mpu-upload", 3, 3, cmd_mpu_upload },
	{ "mpu-create", 1, 1, cmd_mpu_create },
	{ "mpu-list", 0, 1, cmd_mpu_list },
	{ "mpu-abort", 2, 2, cmd_mpu_abort },
	{ "stream", 4, 5, cmd_stream },
};

/* Fills conf from the BPG_S3_* environment. */
static void
conf_from_env(struct bpg_s3_conf *conf)
{
	static char profile[] = "default";   /* the conf's strings are not const */
	const char *v;

	memset(conf, 0, sizeof(*conf));
	conf->endpoint = getenv("BPG_S3_ENDPOINT");
	conf->region = getenv("BPG_S3_REGION");
	conf->bucket = getenv("BPG_S3_BUCKET");
	conf->ca_file = getenv("BPG_S3_CA_FILE");
	conf->path_style = (v = getenv("BPG_S3_PATH_STYLE")) != NULL && strcmp(v, "1") == 0;
	conf->connect_timeout_ms = (v = getenv("BPG_S3_CONNECT_TIMEOUT_MS")) ?
	    parse_num(v, 600000) : 3000;
	conf->timeout_ms = (v = getenv("BPG_S3_TIMEOUT_MS")) ? parse_num(v, 3600000) : 30000;
	conf->credentials_profile = profile;
}

static int
usage(void)
{
	fprintf(stderr, "usage: s3tool [-c gateway.ini] [-b bucket] [-p page_size] COMMAND ARGS\n"
	    "  put KEY FILE [TYPE] | get KEY [OFFSET [LENGTH]] | head KEY | delete KEY |\n"
	    "  list [PREFIX] | mpu-upload KEY FILE PART_BYTES | mpu-create KEY |\n"
	    "  mpu-list [PREFIX] | mpu-abort KEY UPLOAD_ID |\n"
	    "  stream KEY FILE PART_BYTES CONCURRENCY [SPOOL_DIR]\n");
	return 2;
}

/* Runs the command argv[0] with the client made from conf. */
static int
run(const struct bpg_s3_conf *conf, const char *bucket, int page, int argc, char **argv)
{
	struct tool t = { .bucket = bucket ? bucket : conf->bucket, .conf = conf,
	    .owner = getenv("BPG_S3_OWNER") };
	enum bpg_err err = BPG_EINVAL;
	size_t i;

	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(argv[0], cmds[i].name) == 0)
			break;
	if (i == sizeof(cmds) / sizeof(cmds[0]) || argc - 1 < cmds[i].min_args ||
	    argc - 1 > cmds[i].max_args || t.bucket == NULL)
		return usage();
	if ((err = bpg_s3_new(conf, &t.s3)) != BPG_OK) {
		fprintf(stderr, "s3tool: %s: cannot make the S3 client (see the log)\n",
		    bpg_err_str(err));
		return EXIT_ERR(err);
	}
	if (page > 0)
		bpg_s3_set_page_size(t.s3, page);
	err = cmds[i].fn(&t, argc - 1, argv + 1);
	if (err != BPG_OK)
		fprintf(stderr, "s3tool: %s: %s\n", bpg_err_str(err), t.why);
	bpg_s3_free(t.s3);
	return err == BPG_OK ? 0 : EXIT_ERR(err);
}

int
main(int argc, char **argv)
{
	const char *ini = NULL, *bucket = NULL;
	struct bpg_config *cfg = NULL;
	struct bpg_s3_conf envconf;
	struct bpg_buf errors;
	int opt, page = 0, rc;

	while ((opt = getopt(argc, argv, "c:b:p:")) != -1) {
		if (opt == 'c')
			ini = optarg;
		else if (opt == 'b')
			bucket = optarg;
		else if (opt == 'p' && (page = (int)parse_num(optarg, 1000)) > 0)
			continue;
		else
			return usage();
	}
	if (optind >= argc)
		return usage();
	(void)bpg_log_set_level_name(getenv("BPG_S3_LOG") ? getenv("BPG_S3_LOG") : "warn");
	if (ini == NULL) {
		conf_from_env(&envconf);
		return run(&envconf, bucket, page, argc - optind, argv + optind);
	}
	bpg_buf_init(&errors, 0);
	if (bpg_config_load(ini, &cfg, &errors) != BPG_OK) {
		fprintf(stderr, "s3tool: %s", errors.data ? errors.data : "cannot load config\n");
		bpg_buf_release(&errors);
		return EXIT_ERR(BPG_ECONFIG);
	}
	rc = run(&cfg->s3, bucket, page, argc - optind, argv + optind);
	bpg_config_free(cfg);
	bpg_buf_release(&errors);
	return rc;
}
