/* bpg_s3cred: the S3 client's credentials, read again when their files change. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include "bpg_s3cred.h"
#include "bpg_s3xml.h"

#define S3_MAX_CRED_FILE  ((size_t)64 << 10)     /* a secret, token or credentials file */

/* Trims ASCII white space on both ends of b (a secret read from a file). */
static void
trim_buf(struct bpg_buf *b)
{
	size_t i = 0;

	while (b->len > 0 && strchr(" \t\r\n", b->data[b->len - 1]) != NULL)
		b->data[--b->len] = '\0';
	while (i < b->len && strchr(" \t\r\n", b->data[i]) != NULL)
		i++;
	if (i > 0) {
		memmove(b->data, b->data + i, b->len - i + 1);
		b->len -= i;
	}
}

/*
 * Reads the file at path into b (wiped first), at most S3_MAX_CRED_FILE bytes; st gets its
 * stat. BPG_EIO (errno set) or BPG_ETOOLARGE on failure.
 */
static enum bpg_err
read_small_file(const char *path, struct bpg_buf *b, struct stat *st)
{
	enum bpg_err err = BPG_EIO;
	char chunk[4096];
	ssize_t n;
	int fd;

	bpg_buf_wipe(b);
	bpg_buf_init(b, S3_MAX_CRED_FILE);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return BPG_EIO;
	if (fstat(fd, st) != 0)
		goto out;
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || (err = bpg_buf_append(b, chunk, (size_t)n)) != BPG_OK)
			goto out;
		err = BPG_EIO;
	}
	err = bpg_buf_append(b, "", 0);
out:
	explicit_bzero(chunk, sizeof(chunk));
	close(fd);
	return err;
}

/* Returns 1 when f must be read (first time, or it changed since), 0 if not, -1 on error. */
static int
cred_file_changed(const struct bpg_s3cred_file *f)
{
	struct stat st;

	if (stat(f->path, &st) != 0)
		return -1;
	return !f->loaded || st.st_mtim.tv_sec != f->st.st_mtim.tv_sec ||
	    st.st_mtim.tv_nsec != f->st.st_mtim.tv_nsec || st.st_ino != f->st.st_ino ||
	    st.st_size != f->st.st_size;
}

/* Reads a one-value file (a secret or a session token) into b when it changed. */
static enum bpg_err
load_value_file(struct bpg_s3cred_file *f, struct bpg_buf *b, struct bpg_why *why)
{
	enum bpg_err err;
	int changed = cred_file_changed(f);

	if (changed == 0)
		return BPG_OK;
	if (changed < 0 || (err = read_small_file(f->path, b, &f->st)) != BPG_OK) {
		bpg_why_set(why, BPG_EIO, "cannot read S3 credential file %s: %s", f->path,
		    changed < 0 || errno != 0 ? strerror(errno) : "too large");
		f->loaded = 0;
		return BPG_EIO;
	}
	trim_buf(b);
	if (b->len == 0 || memchr(b->data, '\n', b->len) != NULL || strlen(b->data) != b->len) {
		bpg_why_set(why, BPG_EIO, "S3 credential file %s is empty or has several lines",
		    f->path);
		f->loaded = 0;
		return BPG_EIO;
	}
	f->loaded = 1;
	return BPG_OK;
}

/* Sets dst to the n bytes at p (wiping what it held). */
static enum bpg_err
set_secret(struct bpg_buf *dst, const char *p, size_t n)
{
	bpg_buf_wipe(dst);
	bpg_buf_init(dst, S3_MAX_CRED_FILE);
	return n > 0 ? bpg_buf_append(dst, p, n) : BPG_OK;
}

/* Applies one "key = value" line of the chosen profile; 0 if the key is not ours. */
static enum bpg_err
shared_kv(struct bpg_s3cred *s, const char *line, size_t n)
{
	const char *eq = memchr(line, '=', n), *k = line, *v;
	size_t kn, vn;

	if (eq == NULL)
		return BPG_OK;
	kn = (size_t)(eq - line);
	v = eq + 1;
	vn = n - kn - 1;
	bpg_s3xml_trim(&k, &kn);
	bpg_s3xml_trim(&v, &vn);
	if (kn == 17 && strncasecmp(k, "aws_access_key_id", kn) == 0)
		return set_secret(&s->akid, v, vn);
	if (kn == 21 && strncasecmp(k, "aws_secret_access_key", kn) == 0)
		return set_secret(&s->secret, v, vn);
	if (kn == 17 && strncasecmp(k, "aws_session_token", kn) == 0)
		return set_secret(&s->token, v, vn);
	return BPG_OK;
}

/* Parses the credentials file text for [profile]: its key id, secret and token. */
static enum bpg_err
parse_shared(struct bpg_s3cred *s, const char *text, size_t len)
{
	const char *p = text, *end = text + len;
	enum bpg_err err = BPG_OK;
	int in_profile = 0;

	while (p < end && err == BPG_OK) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)), *line = p;
		size_t n = (size_t)((nl ? nl : end) - p);
		p = nl ? nl + 1 : end;
		bpg_s3xml_trim(&line, &n);
		if (n == 0 || line[0] == '#' || line[0] == ';')
			continue;
		if (line[0] == '[' && line[n - 1] == ']') {
			const char *name = line + 1;
			size_t nn = n - 2;
			bpg_s3xml_trim(&name, &nn);
			in_profile = nn == strlen(s->profile) && memcmp(name, s->profile, nn) == 0;
			continue;
		}
		if (in_profile)
			err = shared_kv(s, line, n);
	}
	return err;
}

/* Reads the shared credentials file when it changed. */
static enum bpg_err
load_shared(struct bpg_s3cred *s, struct bpg_why *why)
{
	struct bpg_buf text;
	enum bpg_err err = BPG_OK;
	int changed = cred_file_changed(&s->shared_f);

	if (changed == 0)
		return BPG_OK;
	bpg_buf_init(&text, S3_MAX_CRED_FILE);
	s->shared_f.loaded = 0;
	if (changed < 0 || read_small_file(s->shared_f.path, &text, &s->shared_f.st) != BPG_OK) {
		err = bpg_why_set(why, BPG_EIO, "cannot read S3 credentials file %s: %s",
		    s->shared_f.path,
		    strerror(errno));
		goto out;
	}
	(void)set_secret(&s->akid, NULL, 0);
	(void)set_secret(&s->secret, NULL, 0);
	(void)set_secret(&s->token, NULL, 0);
	if ((err = parse_shared(s, text.data, text.len)) != BPG_OK)
		goto out;
	err = BPG_EIO;
	if (s->akid.len == 0 || s->secret.len == 0) {
		bpg_why_set(why, err, "S3 credentials file %s has no aws_access_key_id and "
		    "aws_secret_access_key in [%s]", s->shared_f.path, s->profile);
		goto out;
	}
	s->shared_f.loaded = 1;
	err = BPG_OK;
out:
	bpg_buf_wipe(&text);
	return err;
}

enum bpg_err
bpg_s3cred_refresh(struct bpg_s3cred *s, struct bpg_why *why)
{
	enum bpg_err err = BPG_OK;

	if (s->src == BPG_S3CRED_CONF) {
		err = load_value_file(&s->secret_f, &s->secret, why);
		if (err == BPG_OK && s->token_f.path != NULL)
			err = load_value_file(&s->token_f, &s->token, why);
	} else if (s->src == BPG_S3CRED_SHARED) {
		err = load_shared(s, why);
	}
	return err;
}

/* Copies s into a fresh string at *dst (NULL stays NULL). */
static enum bpg_err
dup_opt(const char *src, char **dst)
{
	*dst = NULL;
	if (src != NULL && (*dst = strdup(src)) == NULL)
		return BPG_ENOMEM;
	return BPG_OK;
}

/* Sets *out to a copy of path, or to home/.aws/credentials when path is NULL. */
static enum bpg_err
shared_path(const char *path, const char *home, char **out)
{
	struct bpg_buf b;
	enum bpg_err err;

	if (path != NULL)
		return dup_opt(path, out);
	bpg_buf_init(&b, 0);
	if ((err = bpg_buf_printf(&b, "%s/.aws/credentials", home)) == BPG_OK)
		err = bpg_buf_detach(&b, out);
	bpg_buf_release(&b);
	return err;
}

enum bpg_err
bpg_s3cred_init(struct bpg_s3cred *s, const struct bpg_s3_conf *conf, struct bpg_why *why)
{
	const char *ek = getenv("AWS_ACCESS_KEY_ID"), *es = getenv("AWS_SECRET_ACCESS_KEY");
	const char *et = getenv("AWS_SESSION_TOKEN"), *home = getenv("HOME");
	const char *shared = conf->credentials_file ? conf->credentials_file :
	    getenv("AWS_SHARED_CREDENTIALS_FILE");
	enum bpg_err err;

	memset(s, 0, sizeof(*s));
	bpg_buf_init(&s->akid, S3_MAX_CRED_FILE);
	bpg_buf_init(&s->secret, S3_MAX_CRED_FILE);
	bpg_buf_init(&s->token, S3_MAX_CRED_FILE);
	if (conf->access_key_id != NULL) {
		s->src = BPG_S3CRED_CONF;
		if (conf->secret_access_key_file == NULL)
			return bpg_why_set(why, BPG_ECONFIG,
			    "[s3] access_key_id needs secret_access_key_file");
		if ((err = set_secret(&s->akid, conf->access_key_id,
		    strlen(conf->access_key_id))) != BPG_OK ||
		    (err = dup_opt(conf->secret_access_key_file, &s->secret_f.path)) != BPG_OK ||
		    (err = dup_opt(conf->session_token_file, &s->token_f.path)) != BPG_OK)
			return err;
	} else if (ek != NULL && *ek != '\0' && es != NULL && *es != '\0') {
		s->src = BPG_S3CRED_ENV;
		if ((err = set_secret(&s->akid, ek, strlen(ek))) != BPG_OK ||
		    (err = set_secret(&s->secret, es, strlen(es))) != BPG_OK ||
		    (et != NULL && (err = set_secret(&s->token, et, strlen(et))) != BPG_OK))
			return err;
		return BPG_OK;
	} else {
		s->src = BPG_S3CRED_SHARED;
		if (shared == NULL && home == NULL)
			return bpg_why_set(why, BPG_ECONFIG,
			    "no S3 credentials: no access_key_id, no AWS_* "
			    "environment and no HOME for ~/.aws/credentials");
		if ((err = shared_path(shared, home, &s->shared_f.path)) != BPG_OK ||
		    (err = dup_opt(conf->credentials_profile ?
		    conf->credentials_profile : "default", &s->profile)) != BPG_OK)
			return err;
	}
	return bpg_s3cred_refresh(s, why) == BPG_OK ? BPG_OK : BPG_ECONFIG;
}

void
bpg_s3cred_release(struct bpg_s3cred *c)
{
	bpg_buf_wipe(&c->akid);
	bpg_buf_wipe(&c->secret);
	bpg_buf_wipe(&c->token);
	free(c->secret_f.path);
	free(c->token_f.path);
	free(c->shared_f.path);
	free(c->profile);
	memset(c, 0, sizeof(*c));
}
