/* conf.c: where the client's URL, user, password and CA come from: flags > environment >
 * the profile in ~/.config/bpg/config (INI) > ~/.netrc. Never a password on the command line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <iniparser.h>
#include "cli.h"

#define CLI_PASSWORD_MAX 1024
#define CLI_NETRC_MAX    ((size_t)1 << 20)

/* Keys a profile may have. */
static const char *const profile_keys[] = { "url", "user", "cacert", "password_command" };

static char *
dup_or_null(const char *s)
{
	return s != NULL && s[0] != '\0' ? strdup(s) : NULL;
}

/* The profile's value of key, NULL if absent or empty. */
static const char *
ini_get(dictionary *ini, const char *profile, const char *key)
{
	char full[256];
	const char *v;

	if (ini == NULL || snprintf(full, sizeof(full), "%s:%s", profile, key) >= (int)sizeof(full))
		return NULL;
	v = iniparser_getstring(ini, full, NULL);
	return v != NULL && v[0] != '\0' ? v : NULL;
}

/* flag > environment > profile; NULL if none says. */
static const char *
pick(const char *flag, const char *env, dictionary *ini, const char *profile, const char *key)
{
	const char *v;

	if (flag != NULL && flag[0] != '\0')
		return flag;
	if ((v = getenv(env)) != NULL && v[0] != '\0')
		return v;
	return ini_get(ini, profile, key);
}

/* The config file: --config, else $XDG_CONFIG_HOME/bpg/config, else ~/.config/bpg/config. */
static int
config_path(const struct cli_opts *o, char *out, size_t outlen)
{
	const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
	int n;

	if (o->config != NULL)
		n = snprintf(out, outlen, "%s", o->config);
	else if (xdg != NULL && xdg[0] == '/')
		n = snprintf(out, outlen, "%s/bpg/config", xdg);
	else if (home != NULL)
		n = snprintf(out, outlen, "%s/.config/bpg/config", home);
	else
		return -1;
	return n < 0 || (size_t)n >= outlen ? -1 : 0;
}

/* Warns about keys a profile does not have (a typo would be silently ignored otherwise). */
static void
check_keys(dictionary *ini, const char *profile, const char *path)
{
	int nkeys = iniparser_getsecnkeys(ini, profile);
	const char **keys;

	if (nkeys <= 0 || (keys = calloc((size_t)nkeys, sizeof(*keys))) == NULL)
		return;
	iniparser_getseckeys(ini, profile, keys);
	for (int i = 0; i < nkeys; i++) {
		const char *k = strchr(keys[i], ':');
		int known = 0;
		k = k != NULL ? k + 1 : keys[i];
		for (size_t j = 0; j < sizeof(profile_keys) / sizeof(profile_keys[0]); j++)
			known |= strcmp(k, profile_keys[j]) == 0;
		if (!known)
			fprintf(stderr, "bpg: warning: %s: [%s] %s: unknown key (ignored)\n", path, profile, k);
	}
	free(keys);
}

/* The first line the command prints (sh -c), or NULL with a message on stderr. */
static char *
run_password_command(const char *cmd)
{
	char buf[CLI_PASSWORD_MAX];
	FILE *p;
	size_t n;
	int st;

	fflush(NULL);
	if ((p = popen(cmd, "r")) == NULL) {
		fprintf(stderr, "bpg: error: password_command: cannot run it\n");
		return NULL;
	}
	n = fread(buf, 1, sizeof(buf) - 1, p);
	while (fgetc(p) != EOF)
		;
	st = pclose(p);
	buf[n] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st) != 0 || buf[0] == '\0') {
		fprintf(stderr, "bpg: error: password_command failed or printed nothing\n");
		explicit_bzero(buf, sizeof(buf));
		return NULL;
	}
	char *pw = strdup(buf);
	explicit_bzero(buf, sizeof(buf));
	return pw;
}

/* The host of a URL ("https://h:443/x" -> "h") into out. */
static void
url_host(const char *url, char *out, size_t outlen)
{
	const char *p = strstr(url, "://");
	size_t n;

	p = p != NULL ? p + 3 : url;
	n = strcspn(p, ":/?#");
	if (n >= outlen)
		n = outlen - 1;
	memcpy(out, p, n);
	out[n] = '\0';
}

/* Next whitespace-separated token of a netrc, or NULL at the end. */
static char *
netrc_token(char **pos)
{
	char *p = *pos, *t;

	p += strspn(p, " \t\r\n");
	if (*p == '\0')
		return NULL;
	t = p;
	p += strcspn(p, " \t\r\n");
	if (*p != '\0')
		*p++ = '\0';
	*pos = p;
	return t;
}

char *
cli_netrc_find(char *text, const char *host, char **user)
{
	char *pos = text, *t, *login = NULL, *pass = NULL, *found = NULL;
	int in = 0;

	for (;;) {
		t = netrc_token(&pos);
		if (t == NULL || strcmp(t, "machine") == 0 || strcmp(t, "default") == 0) {
			/* the end of an entry: does it match? */
			if (in && pass != NULL && (*user == NULL || (login != NULL && strcmp(login, *user) == 0))) {
				if ((found = strdup(pass)) != NULL && *user == NULL && login != NULL)
					*user = strdup(login);
				return found;
			}
			if (t == NULL)
				return NULL;
			login = pass = NULL;
			in = strcmp(t, "default") == 0;
			if (!in && (t = netrc_token(&pos)) != NULL)
				in = strcmp(t, host) == 0;
		} else if (strcmp(t, "login") == 0) {
			login = netrc_token(&pos);
		} else if (strcmp(t, "password") == 0) {
			pass = netrc_token(&pos);
		} else if (strcmp(t, "macdef") == 0) {
			char *end = strstr(pos, "\n\n");   /* a macro runs to an empty line */
			pos = end != NULL ? end + 2 : pos + strlen(pos);
		}
	}
}

/* The password for host (and *user) from ~/.netrc ($NETRC if set), or NULL. */
static char *
netrc_password(const char *host, char **user)
{
	const char *home = getenv("HOME"), *env = getenv("NETRC");
	char path[1024], *text, *found;
	FILE *f;
	size_t n;

	if (env != NULL && env[0] != '\0')
		snprintf(path, sizeof(path), "%s", env);
	else if (home == NULL || snprintf(path, sizeof(path), "%s/.netrc", home) >= (int)sizeof(path))
		return NULL;
	if ((f = fopen(path, "r")) == NULL)
		return NULL;
	if ((text = malloc(CLI_NETRC_MAX + 1)) == NULL) {
		fclose(f);
		return NULL;
	}
	n = fread(text, 1, CLI_NETRC_MAX, f);
	fclose(f);
	text[n] = '\0';
	found = cli_netrc_find(text, host, user);
	explicit_bzero(text, n);
	free(text);
	return found;
}

/* s without the white space around it (in place). */
static char *
trim(char *s)
{
	size_t n;

	while (*s == ' ' || *s == '\t')
		s++;
	n = strlen(s);
	while (n > 0 && strchr(" \t\r\n", s[n - 1]) != NULL)
		s[--n] = '\0';
	return s;
}

/*
 * iniparser ends an unquoted value at ';' or '#' (its comments), which cuts a shell command
 * such as "pass show x; echo"; the profile's password_command is the whole rest of its line
 * (without the quotes around it, if any), read here again from the file.
 */
static void
whole_password_command(dictionary *ini, const char *path, const char *profile)
{
	char full[256], *line = NULL, *p, *v;
	size_t cap = 0, n;
	int in = 0;
	FILE *f;

	if (snprintf(full, sizeof(full), "%s:password_command", profile) >= (int)sizeof(full) ||
	    iniparser_getstring(ini, full, NULL) == NULL || (f = fopen(path, "r")) == NULL)
		return;
	while (getline(&line, &cap, f) != -1) {
		p = trim(line);
		if (*p == '[') {
			n = strcspn(p + 1, "]");
			p[n + 1] = '\0';
			in = strcasecmp(trim(p + 1), profile) == 0;
		} else if (in && strncasecmp(p, "password_command", 16) == 0 &&
		    *(v = p + 16 + strspn(p + 16, " \t")) == '=') {
			v = trim(v + 1);
			n = strlen(v);
			if (n >= 2 && (v[0] == '"' || v[0] == '\'') && v[n - 1] == v[0]) {
				v[n - 1] = '\0';
				v++;
			}
			iniparser_set(ini, full, v);
		}
	}
	free(line);
	fclose(f);
}

/* Loads the config file if there is one; *ini NULL otherwise. CLI_USAGE on a named profile
 * that is missing. */
static int
load_ini(const struct cli_opts *o, const char *profile, int named, dictionary **ini)
{
	char path[1024];
	struct stat st;

	*ini = NULL;
	if (config_path(o, path, sizeof(path)) != 0 || stat(path, &st) != 0) {
		if (o->config != NULL) {
			fprintf(stderr, "bpg: error: config file %s: cannot read it\n", o->config);
			return CLI_USAGE;
		}
		if (named && strcmp(profile, "default") != 0) {
			fprintf(stderr, "bpg: error: profile '%s': no config file\n", profile);
			return CLI_USAGE;
		}
		return CLI_OK;
	}
	if ((*ini = iniparser_load(path)) == NULL) {
		fprintf(stderr, "bpg: error: config file %s: cannot parse it\n", path);
		return CLI_USAGE;
	}
	if (!iniparser_find_entry(*ini, profile)) {
		if (named && strcmp(profile, "default") != 0) {
			fprintf(stderr, "bpg: error: profile '%s' is not in %s\n", profile, path);
			return CLI_USAGE;
		}
		return CLI_OK;
	}
	check_keys(*ini, profile, path);
	whole_password_command(*ini, path, profile);
	return CLI_OK;
}

int
cli_conf_load(const struct cli_opts *o, struct cli_conf *out)
{
	const char *env_profile = getenv("BPG_PROFILE"), *pw = getenv("BPG_PASSWORD"), *cmd;
	const char *profile = o->profile != NULL ? o->profile
	    : env_profile != NULL && env_profile[0] ? env_profile : "default";
	int named = o->profile != NULL || (env_profile != NULL && env_profile[0]);
	dictionary *ini = NULL;
	char host[256];
	size_t n;
	int ret;

	memset(out, 0, sizeof(*out));
	if ((ret = load_ini(o, profile, named, &ini)) != CLI_OK)
		goto out;
	out->profile = strdup(profile);
	out->url = dup_or_null(pick(o->url, "BPG_URL", ini, profile, "url"));
	out->user = dup_or_null(pick(o->user, "BPG_USER", ini, profile, "user"));
	out->cacert = dup_or_null(pick(o->cacert, "BPG_CACERT", ini, profile, "cacert"));
	if (out->url == NULL) {
		fprintf(stderr, "bpg: error: no server URL: give --url, set BPG_URL or url in profile '%s'\n",
		    profile);
		ret = CLI_USAGE;
		goto out;
	}
	n = strlen(out->url);
	while (n > 0 && out->url[n - 1] == '/')
		out->url[--n] = '\0';
	if (strncmp(out->url, "https://", 8) != 0 && strncmp(out->url, "http://", 7) != 0) {
		fprintf(stderr, "bpg: error: URL %s: must start with https:// (or http://)\n", out->url);
		ret = CLI_USAGE;
		goto out;
	}
	cmd = ini_get(ini, profile, "password_command");
	if (pw != NULL && pw[0] != '\0') {
		out->password = strdup(pw);
		out->password_from = "BPG_PASSWORD";
	} else if (cmd != NULL) {
		if ((out->password = run_password_command(cmd)) == NULL) {
			ret = CLI_USAGE;
			goto out;
		}
		out->password_from = "password_command";
	} else {
		url_host(out->url, host, sizeof(host));
		if ((out->password = netrc_password(host, &out->user)) != NULL)
			out->password_from = "~/.netrc";
	}
out:
	if (ini != NULL)
		iniparser_freedict(ini);
	return ret;
}

void
cli_conf_release(struct cli_conf *conf)
{
	if (conf->password != NULL) {
		explicit_bzero(conf->password, strlen(conf->password));
		free(conf->password);
	}
	free(conf->url);
	free(conf->user);
	free(conf->cacert);
	free(conf->profile);
	memset(conf, 0, sizeof(*conf));
}
