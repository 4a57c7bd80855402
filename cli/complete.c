/* complete.c: bpg completion bash|zsh: the shell completion scripts. */
#include <stdio.h>
#include <string.h>
#include "cli.h"

static const char bash_script[] =
"# bpg completion for bash: eval \"$(bpg completion bash)\"\n"
"_bpg() {\n"
"\tlocal cur prev cmd opts\n"
"\tcur=${COMP_WORDS[COMP_CWORD]}\n"
"\tprev=${COMP_WORDS[COMP_CWORD-1]}\n"
"\tcmd=${COMP_WORDS[1]}\n"
"\tif [ \"$COMP_CWORD\" -eq 1 ]; then\n"
"\t\tCOMPREPLY=($(compgen -W 'submit status wait spec describe driver delete list logs upload health version completion help' -- \"$cur\"))\n"
"\t\treturn\n"
"\tfi\n"
"\tcase $prev in\n"
"\t-o|--output) COMPREPLY=($(compgen -W 'json yaml table' -- \"$cur\")); return ;;\n"
"\t--state) COMPREPLY=($(compgen -W 'SUBMITTED RUNNING SUCCEEDING COMPLETED FAILING FAILED SUBMISSION_FAILED UNKNOWN' -- \"$cur\")); return ;;\n"
"\t--cacert|--config) COMPREPLY=($(compgen -f -- \"$cur\")); return ;;\n"
"\tcompletion) COMPREPLY=($(compgen -W 'bash zsh' -- \"$cur\")); return ;;\n"
"\tesac\n"
"\topts='--url --user --cacert --profile --config --output --quiet --help'\n"
"\tcase $cmd in\n"
"\tsubmit) opts=\"$opts --queue --spark-version --main-file --main-class --name --image --conf --arg --driver-memory --executor-memory --driver-cores --executor-cores --executors --dry-run --idempotency-key --wait --follow\" ;;\n"
"\tstatus) opts=\"$opts --wait\" ;;\n"
"\twait) opts=\"$opts --follow\" ;;\n"
"\tlist) opts=\"$opts --state --queue --name --since --limit --all --all-users\" ;;\n"
"\tlogs) opts=\"$opts --follow --tail --exec --container\" ;;\n"
"\tupload) opts=\"$opts --folder --name --overwrite\" ;;\n"
"\tversion) opts=\"$opts --client\" ;;\n"
"\tesac\n"
"\tif [[ $cur == -* ]]; then\n"
"\t\tCOMPREPLY=($(compgen -W \"$opts\" -- \"$cur\"))\n"
"\telif [ \"$cmd\" = submit ] || [ \"$cmd\" = upload ]; then\n"
"\t\tCOMPREPLY=($(compgen -f -- \"$cur\"))\n"
"\tfi\n"
"}\n"
"complete -F _bpg bpg\n";

/* zsh runs the bash function through its bashcompinit layer. */
static const char zsh_prelude[] =
"# bpg completion for zsh: eval \"$(bpg completion zsh)\"\n"
"autoload -U +X compinit && compinit\n"
"autoload -U +X bashcompinit && bashcompinit\n";

int
cmd_completion(struct cli *c, int argc, char **argv)
{
	if (argc != 1 || (strcmp(argv[0], "bash") != 0 && strcmp(argv[0], "zsh") != 0)) {
		fprintf(stderr, "bpg: error: usage: bpg completion bash|zsh\n");
		return CLI_USAGE;
	}
	if (strcmp(argv[0], "zsh") == 0 && cli_write(c, zsh_prelude, sizeof(zsh_prelude) - 1) != CLI_OK)
		return CLI_SERVER;
	return cli_write(c, bash_script, sizeof(bash_script) - 1);
}
