/* main.c: bpg, the gateway's command-line client: options, the command table, dispatch. */
#include <errno.h>
#include <stddef.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"

/* Which commands take an option (bits of the command table's index). */
#define C(x) (1u << (x))
enum { K_SUBMIT, K_STATUS, K_WAIT, K_SPEC, K_DESCRIBE, K_DRIVER, K_DELETE, K_LIST, K_LOGS,
       K_UPLOAD, K_HEALTH, K_VERSION, K_COMPLETION, K_HELP, K_COUNT };
#define ALL ((1u << K_COUNT) - 1)
#define NEEDS_SERVER (ALL & ~C(K_COMPLETION) & ~C(K_HELP))

struct command {
	const char *name;
	int (*fn)(struct cli *, int, char **);
	const char *usage;
};

static int cmd_help(struct cli *c, int argc, char **argv);

static const struct command commands[K_COUNT] = {
	[K_SUBMIT] = { "submit", cmd_submit, "submit [FILE|-] [--queue Q] [--spark-version V] [--main-file URL] "
	    "[--main-class C] [--name N] [--image I] [--conf k=v]... [--arg A]... [--driver-cores N] "
	    "[--driver-memory M] [--executor-cores N] [--executor-memory M] [--executors N] [--dry-run] "
	    "[--idempotency-key K] [--wait] [--follow]" },
	[K_STATUS] = { "status", cmd_status, "status ID [--wait]" },
	[K_WAIT] = { "wait", cmd_wait, "wait ID" },
	[K_SPEC] = { "spec", cmd_spec, "spec ID" },
	[K_DESCRIBE] = { "describe", cmd_describe, "describe ID" },
	[K_DRIVER] = { "driver", cmd_driver, "driver ID" },
	[K_DELETE] = { "delete", cmd_delete, "delete ID" },
	[K_LIST] = { "list", cmd_list, "list [--state S] [--queue Q] [--name N] [--since 2h|DATE] [--limit N] [--all] "
	    "[--all-users]" },
	[K_LOGS] = { "logs", cmd_logs, "logs ID [-f] [--tail N] [--exec N] [--container C]" },
	[K_UPLOAD] = { "upload", cmd_upload, "upload FILE [--folder F] [--name N] [--overwrite]" },
	[K_HEALTH] = { "health", cmd_health, "health" },
	[K_VERSION] = { "version", cmd_version, "version [--client]" },
	[K_COMPLETION] = { "completion", cmd_completion, "completion bash|zsh" },
	[K_HELP] = { "help", cmd_help, "help [COMMAND]" },
};

enum {
	O_URL = 256, O_USER, O_CACERT, O_PROFILE, O_CONFIG, O_QUEUE, O_SPARK_VERSION, O_MAIN_CLASS,
	O_MAIN_FILE, O_NAME, O_IMAGE, O_CONF, O_ARG, O_DRIVER_MEMORY, O_EXECUTOR_MEMORY,
	O_DRIVER_CORES, O_EXECUTOR_CORES, O_EXECUTORS, O_DRY_RUN, O_IDEM, O_WAIT, O_STATE, O_SINCE,
	O_LIMIT, O_ALL, O_ALL_USERS, O_TAIL, O_EXEC, O_CONTAINER, O_FOLDER, O_OVERWRITE, O_CLIENT
};

/* The options: getopt_long's entry, the commands that take it, its value's name and help. */
static const struct {
	struct option opt;
	unsigned cmds;
	const char *metavar;        /* NULL: a flag without a value */
	const char *help;
} options[] = {
	{ { "url", required_argument, NULL, O_URL }, NEEDS_SERVER, "URL", "the gateway's base URL" },
	{ { "user", required_argument, NULL, O_USER }, NEEDS_SERVER, "U", "the user name" },
	{ { "cacert", required_argument, NULL, O_CACERT }, NEEDS_SERVER, "FILE", "the CA certificates to verify the server with" },
	{ { "profile", required_argument, NULL, O_PROFILE }, NEEDS_SERVER, "P", "the profile of the configuration file" },
	{ { "config", required_argument, NULL, O_CONFIG }, NEEDS_SERVER, "FILE", "another configuration file" },
	{ { "output", required_argument, NULL, 'o' }, ALL, "FMT", "json, yaml or table" },
	{ { "quiet", no_argument, NULL, 'q' }, ALL, NULL, "no live status line, progress bar or state lines" },
	{ { "help", no_argument, NULL, 'h' }, ALL, NULL, "this help" },
	{ { "queue", required_argument, NULL, O_QUEUE }, C(K_SUBMIT) | C(K_LIST), "Q", "the queue" },
	{ { "spark-version", required_argument, NULL, O_SPARK_VERSION }, C(K_SUBMIT), "V", "the Spark version (3.5)" },
	{ { "main-class", required_argument, NULL, O_MAIN_CLASS }, C(K_SUBMIT), "C", "the main class (Scala, Java)" },
	{ { "main-file", required_argument, NULL, O_MAIN_FILE }, C(K_SUBMIT), "URL", "the application file (s3a://...)" },
	{ { "name", required_argument, NULL, O_NAME }, C(K_SUBMIT) | C(K_LIST) | C(K_UPLOAD), "N", "the application's name (upload: the object's name)" },
	{ { "image", required_argument, NULL, O_IMAGE }, C(K_SUBMIT), "I", "the container image" },
	{ { "conf", required_argument, NULL, O_CONF }, C(K_SUBMIT), "k=v", "a Spark setting (repeatable)" },
	{ { "arg", required_argument, NULL, O_ARG }, C(K_SUBMIT), "A", "an argument of the application (repeatable)" },
	{ { "driver-memory", required_argument, NULL, O_DRIVER_MEMORY }, C(K_SUBMIT), "M", "the driver's memory (2g)" },
	{ { "executor-memory", required_argument, NULL, O_EXECUTOR_MEMORY }, C(K_SUBMIT), "M", "each executor's memory (2g)" },
	{ { "driver-cores", required_argument, NULL, O_DRIVER_CORES }, C(K_SUBMIT), "N", "the driver's cores" },
	{ { "executor-cores", required_argument, NULL, O_EXECUTOR_CORES }, C(K_SUBMIT), "N", "each executor's cores" },
	{ { "executors", required_argument, NULL, O_EXECUTORS }, C(K_SUBMIT), "N", "the number of executors" },
	{ { "dry-run", no_argument, NULL, O_DRY_RUN }, C(K_SUBMIT), NULL, "check and print the request, send nothing" },
	{ { "idempotency-key", required_argument, NULL, O_IDEM }, C(K_SUBMIT), "K", "the same key submits once" },
	{ { "wait", no_argument, NULL, O_WAIT }, C(K_SUBMIT) | C(K_STATUS), NULL, "wait for a final state (the live line on a terminal)" },
	{ { "follow", no_argument, NULL, 'f' }, C(K_SUBMIT) | C(K_LOGS) | C(K_WAIT), NULL, "stream the driver's log (logs: wait for the pod first)" },
	{ { "state", required_argument, NULL, O_STATE }, C(K_LIST), "S", "only this state" },
	{ { "since", required_argument, NULL, O_SINCE }, C(K_LIST), "T", "created after an age (2h, 7d) or a UTC date" },
	{ { "limit", required_argument, NULL, O_LIMIT }, C(K_LIST), "N", "the page size (1-1000)" },
	{ { "all", no_argument, NULL, O_ALL }, C(K_LIST), NULL, "every page, following the next cursors" },
	{ { "all-users", no_argument, NULL, O_ALL_USERS }, C(K_LIST), NULL, "everyone's submissions (admins)" },
	{ { "tail", required_argument, NULL, O_TAIL }, C(K_LOGS), "N", "the last N lines" },
	{ { "exec", required_argument, NULL, O_EXEC }, C(K_LOGS), "N", "executor N's log instead of the driver's" },
	{ { "container", required_argument, NULL, O_CONTAINER }, C(K_LOGS), "C", "another container of the pod" },
	{ { "folder", required_argument, NULL, O_FOLDER }, C(K_UPLOAD), "F", "the folder under uploaded/" },
	{ { "overwrite", no_argument, NULL, O_OVERWRITE }, C(K_UPLOAD), NULL, "replace an existing object" },
	{ { "client", no_argument, NULL, O_CLIENT }, C(K_VERSION), NULL, "the client's version only, no request" },
};
#define NOPTIONS (sizeof(options) / sizeof(options[0]))

static void
usage(FILE *f)
{
	fprintf(f, "usage: bpg COMMAND [ARGS] [OPTIONS]   (bpg help COMMAND: its options)\n\ncommands:\n");
	for (int k = 0; k < K_COUNT; k++)
		fprintf(f, "  bpg %s\n", commands[k].usage);
	fprintf(f, "\nconnection (flags > environment > ~/.config/bpg/config profile):\n"
	    "  --url URL (BPG_URL)  --user U (BPG_USER)  --cacert FILE (BPG_CACERT)\n"
	    "  --profile P (BPG_PROFILE)  --config FILE; the password: BPG_PASSWORD,\n"
	    "  password_command in the profile, or ~/.netrc (never a flag)\n"
	    "output: -o json|yaml|table, -q/--quiet (no live status line or progress bar)\n"
	    "exit: 0 done/COMPLETED, 1 FAILED, 2 usage or invalid, 3 server or network,\n"
	    "      4 not found, 5 unauthenticated or forbidden, 130 interrupted (see bpg(1))\n");
}

/* One option's help line: "  -f, --follow     stream ..." */
static void
option_help(FILE *f, size_t i)
{
	char name[48], flag[4] = "   ";
	int v = options[i].opt.val;

	if (v < 256)
		snprintf(flag, sizeof(flag), "-%c,", v);
	snprintf(name, sizeof(name), "%s --%s%s%s", flag, options[i].opt.name,
	    options[i].metavar ? " " : "", options[i].metavar ? options[i].metavar : "");
	fprintf(f, "  %-26s %s\n", name, options[i].help);
}

/* bpg COMMAND --help: its usage and every option it takes, its own first. */
static void
command_help(FILE *f, int k)
{
	fprintf(f, "usage: bpg %s\n\noptions:\n", commands[k].usage);
	for (size_t i = 0; i < NOPTIONS; i++)
		if (options[i].cmds & C(k) && options[i].cmds != ALL && options[i].cmds != NEEDS_SERVER)
			option_help(f, i);
	for (size_t i = 0; i < NOPTIONS; i++)
		if (options[i].cmds & C(k) && (options[i].cmds == ALL || options[i].cmds == NEEDS_SERVER))
			option_help(f, i);
}

/* A whole number in [lo, hi] or -2 with a message. */
static long
number(const char *name, const char *s, long lo, long hi)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi) {
		fprintf(stderr, "bpg: error: --%s %s: must be a whole number from %ld to %ld\n", name, s, lo, hi);
		return -2;
	}
	return v;
}

/* Adds one value to a repeatable option's list; -1 when full. */
static int
push(const char **list, int *n, const char *v, const char *name)
{
	if (*n >= CLI_MAX_LIST) {
		fprintf(stderr, "bpg: error: --%s given more than %d times\n", name, CLI_MAX_LIST);
		return -1;
	}
	list[(*n)++] = v;
	return 0;
}

static int
set_output(struct cli_opts *o, const char *v)
{
	if (strcmp(v, "json") == 0)
		o->output = CLI_OUT_JSON;
	else if (strcmp(v, "yaml") == 0)
		o->output = CLI_OUT_YAML;
	else if (strcmp(v, "table") == 0)
		o->output = CLI_OUT_TABLE;
	else {
		fprintf(stderr, "bpg: error: --output %s: must be json, yaml or table\n", v);
		return -1;
	}
	return 0;
}

/* Where each option's value goes: a string, a flag set to 1, or a number in [lo, hi]. */
enum slot_kind { SLOT_STR, SLOT_FLAG, SLOT_NUM };

#define OPT_STR(ch, f)  { ch, SLOT_STR, offsetof(struct cli_opts, f), NULL, 0, 0 }
#define OPT_FLAG(ch, f) { ch, SLOT_FLAG, offsetof(struct cli_opts, f), NULL, 0, 0 }
#define OPT_NUM(ch, f, name, lo, hi) { ch, SLOT_NUM, offsetof(struct cli_opts, f), name, lo, hi }

static const struct slot {
	int ch;
	enum slot_kind kind;
	size_t off;                 /* in struct cli_opts: const char *, int or long */
	const char *name;           /* SLOT_NUM: for its message */
	long lo, hi;
} slots[] = {
	OPT_STR(O_URL, url), OPT_STR(O_USER, user), OPT_STR(O_CACERT, cacert),
	OPT_STR(O_PROFILE, profile), OPT_STR(O_CONFIG, config), OPT_FLAG('q', quiet),
	OPT_STR(O_QUEUE, queue), OPT_STR(O_SPARK_VERSION, spark_version),
	OPT_STR(O_MAIN_CLASS, main_class), OPT_STR(O_MAIN_FILE, main_file), OPT_STR(O_NAME, name),
	OPT_STR(O_IMAGE, image), OPT_STR(O_DRIVER_MEMORY, driver_memory),
	OPT_STR(O_EXECUTOR_MEMORY, executor_memory),
	OPT_NUM(O_DRIVER_CORES, driver_cores, "driver-cores", 1, 1024),
	OPT_NUM(O_EXECUTOR_CORES, executor_cores, "executor-cores", 1, 1024),
	OPT_NUM(O_EXECUTORS, executors, "executors", 0, 100000),
	OPT_FLAG(O_DRY_RUN, dry_run), OPT_STR(O_IDEM, idem_key), OPT_FLAG(O_WAIT, wait),
	OPT_FLAG('f', follow), OPT_STR(O_STATE, state), OPT_STR(O_SINCE, since),
	OPT_NUM(O_LIMIT, limit, "limit", 1, 1000), OPT_FLAG(O_ALL, all),
	OPT_FLAG(O_ALL_USERS, all_users), OPT_NUM(O_TAIL, tail, "tail", 0, 1000000),
	OPT_NUM(O_EXEC, exec, "exec", 0, 100000), OPT_STR(O_CONTAINER, container),
	OPT_STR(O_FOLDER, folder), OPT_FLAG(O_OVERWRITE, overwrite),
	OPT_FLAG(O_CLIENT, client_only),
};

/* Stores one parsed option; -1 on a bad value. */
static int
set_option(struct cli_opts *o, int ch, const char *arg)
{
	char *base = (char *)o;
	long v;

	if (ch == 'o')
		return set_output(o, arg);
	if (ch == O_CONF)
		return push(o->conf, &o->nconf, arg, "conf");
	if (ch == O_ARG)
		return push(o->args, &o->nargs, arg, "arg");
	for (size_t i = 0; i < sizeof(slots) / sizeof(slots[0]); i++) {
		const struct slot *sl = &slots[i];
		if (sl->ch != ch)
			continue;
		if (sl->kind == SLOT_STR)
			memcpy(base + sl->off, &arg, sizeof(arg));
		else if (sl->kind == SLOT_FLAG)
			*(int *)(void *)(base + sl->off) = 1;
		else if ((v = number(sl->name, arg, sl->lo, sl->hi)) == -2)
			return -1;
		else
			*(long *)(void *)(base + sl->off) = v;
		return 0;
	}
	return -1;
}

/* The command named by the first positional argument, or -1. */
static int
find_command(const char *name)
{
	for (int k = 0; k < K_COUNT; k++)
		if (strcmp(commands[k].name, name) == 0)
			return k;
	return -1;
}

/* bpg help [COMMAND]: the usage (of one command) on stdout. */
static int
cmd_help(struct cli *c, int argc, char **argv)
{
	int k;

	(void)c;
	if (argc == 0) {
		usage(stdout);
		return CLI_OK;
	}
	if (argc > 1 || (k = find_command(argv[0])) < 0) {
		fprintf(stderr, "bpg: error: usage: bpg help [COMMAND]; commands: bpg help\n");
		return CLI_USAGE;
	}
	command_help(stdout, k);
	return CLI_OK;
}

/* Parses argv into c->o; the command's index in *cmd, its arguments moved to argv[optind..]. */
static int
parse_args(int argc, char **argv, struct cli *c, int *cmd, int *seen_help)
{
	struct option longopts[NOPTIONS + 1];
	int given[NOPTIONS], ch, idx;

	memset(longopts, 0, sizeof(longopts));
	memset(given, 0, sizeof(given));
	for (size_t i = 0; i < NOPTIONS; i++)
		longopts[i] = options[i].opt;
	c->o.driver_cores = c->o.executor_cores = c->o.executors = c->o.limit = -1;
	c->o.tail = c->o.exec = -1;
	opterr = 1;
	while ((ch = getopt_long(argc, argv, "o:qhf", longopts, &idx)) != -1) {
		if (ch == '?' || ch == ':')
			return CLI_USAGE;
		if (ch == 'h') {
			*seen_help = 1;
			continue;
		}
		for (size_t i = 0; i < NOPTIONS; i++)
			if (options[i].opt.val == ch)
				given[i] = 1;
		if (set_option(&c->o, ch, optarg) != 0)
			return CLI_USAGE;
	}
	if (optind >= argc)
		return *seen_help ? CLI_OK : CLI_USAGE;
	if ((*cmd = find_command(argv[optind])) < 0) {
		fprintf(stderr, "bpg: error: %s: unknown command\n", argv[optind]);
		return CLI_USAGE;
	}
	for (size_t i = 0; i < NOPTIONS; i++)
		if (given[i] && !(options[i].cmds & C(*cmd))) {
			fprintf(stderr, "bpg: error: --%s: not an option of bpg %s\n", options[i].opt.name,
			    commands[*cmd].name);
			return CLI_USAGE;
		}
	return CLI_OK;
}

int
main(int argc, char **argv)
{
	struct cli c;
	int cmd = -1, help = 0, ret;

	memset(&c, 0, sizeof(c));
	if ((ret = parse_args(argc, argv, &c, &cmd, &help)) != CLI_OK || help || cmd < 0) {
		if (cmd >= 0 && ret == CLI_OK)
			command_help(stdout, cmd);
		else
			usage(ret == CLI_OK && help ? stdout : stderr);
		return ret == CLI_OK && help ? CLI_OK : CLI_USAGE;
	}
	cli_term_init(&c);
	if (C(cmd) & NEEDS_SERVER && !(cmd == K_VERSION && c.o.client_only)) {
		if ((ret = cli_conf_load(&c.o, &c.conf)) != CLI_OK)
			goto out;
		if ((ret = cli_http_init(&c)) != CLI_OK)
			goto out;
	}
	ret = commands[cmd].fn(&c, argc - optind - 1, argv + optind + 1);
	if (fflush(stdout) != 0 && !c.stdout_broken) {
		cli_error(&c, "writing the output: %s", strerror(errno));
		ret = CLI_SERVER;
	}
out:
	if (c.curl != NULL)
		cli_http_release(&c);
	cli_conf_release(&c.conf);
	return ret;
}
