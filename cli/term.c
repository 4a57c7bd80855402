/* term.c: the terminal: Ctrl-C, the one live line on stderr, the progress bar, human formats.
 * Control characters are written only when stderr is a terminal and --quiet is off. */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>
#include "bpg_time.h"
#include "cli.h"

volatile sig_atomic_t cli_interrupted;

static void
on_sigint(int sig)
{
	(void)sig;
	cli_interrupted = 1;
}

void
cli_term_init(struct cli *c)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigint;   /* no SA_RESTART: sleeps end at once */
	sigemptyset(&sa.sa_mask);
	(void)sigaction(SIGINT, &sa, NULL);
	(void)sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	(void)sigaction(SIGPIPE, &sa, NULL);
	c->tty = !c->o.quiet && isatty(STDERR_FILENO);
}

int
cli_sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (!cli_interrupted && nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
	return cli_interrupted != 0;
}

double
cli_now_s(void)
{
	return (double)bpg_time_mono_us() / 1e6;
}

static int
term_width(void)
{
	struct winsize ws;

	if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 10)
		return ws.ws_col;
	return 80;
}

void
cli_term_line(const struct cli *c, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int w;

	if (!c->tty)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	w = term_width() - 1;
	if (w < (int)sizeof(line))
		line[w] = '\0';   /* one line, never wrapped: \r must reach its start */
	fprintf(stderr, "\r\033[K%s", line);
	fflush(stderr);
}

void
cli_term_clear(const struct cli *c)
{
	if (!c->tty)
		return;
	fputs("\r\033[K", stderr);
	fflush(stderr);
}

void
cli_term_progress(const struct cli *c, double done, double total, double start_s)
{
	static double last_s;
	double now = cli_now_s(), el = now - start_s, rate = el > 0 ? done / el : 0;
	char d[32], t[32], r[32], eta[32], bar[31];
	int pct = total > 0 ? (int)(done * 100 / total) : 0, fill = pct * 30 / 100;

	if (!c->tty || (now - last_s < 0.1 && done < total))
		return;
	last_s = now;
	cli_fmt_bytes(done, d, sizeof(d));
	cli_fmt_bytes(total, t, sizeof(t));
	cli_fmt_bytes(rate, r, sizeof(r));
	if (rate > 0 && done < total)
		cli_fmt_duration((long long)((total - done) / rate * 1000), eta, sizeof(eta));
	else
		snprintf(eta, sizeof(eta), "--");
	memset(bar, '#', (size_t)fill);
	memset(bar + fill, '.', (size_t)(30 - fill));
	bar[30] = '\0';
	cli_term_line(c, "[%s] %3d%% %s / %s  %s/s  ETA %s", bar, pct, d, t, r, eta);
}

void
cli_fmt_bytes(double n, char *out, size_t outlen)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	int u = 0;

	while (n >= 1024 && u < 4) {
		n /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(out, outlen, "%.0f B", n);
	else
		snprintf(out, outlen, "%.1f %s", n, unit[u]);
}

void
cli_fmt_duration(long long ms, char *out, size_t outlen)
{
	long long s = ms / 1000;

	if (ms < 0)
		snprintf(out, outlen, "-");
	else if (s < 60)
		snprintf(out, outlen, "%llds", s);
	else if (s < 3600)
		snprintf(out, outlen, "%lldm%02llds", s / 60, s % 60);
	else if (s < 86400)
		snprintf(out, outlen, "%lldh%02lldm", s / 3600, s / 60 % 60);
	else
		snprintf(out, outlen, "%lldd%02lldh", s / 86400, s / 3600 % 24);
}

void
cli_fmt_ago(long long epoch_ms, long long now_ms, char *out, size_t outlen)
{
	char d[32];

	if (epoch_ms <= 0) {
		snprintf(out, outlen, "-");
		return;
	}
	if (now_ms - epoch_ms < 1000) {
		snprintf(out, outlen, "just now");
		return;
	}
	cli_fmt_duration(now_ms - epoch_ms, d, sizeof(d));
	snprintf(out, outlen, "%s ago", d);
}

void
cli_error(const struct cli *c, const char *fmt, ...)
{
	va_list ap;

	cli_term_clear(c);
	fputs("bpg: error: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}
