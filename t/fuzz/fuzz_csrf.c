/* libFuzzer: bpg_csrf over hostile headers: method, Origin, Sec-Fetch-Site, Host and a
 * Content-Type, NUL-separated in the input; every body kind is asked about the type. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "bpg_csrf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), *f[5] = { NULL }, why[320];
	static char trusted0[] = "https://ui.example.com";
	static char *trusted_v[] = { trusted0 };
	const struct bpg_strlist trusted = { trusted_v, 1 };
	struct bpg_csrf_in in;
	enum bpg_media m;
	size_t n = 0;

	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	/* up to five fields; a missing one is an absent header */
	for (char *p = s; n < 5 && p <= s + size; p += strlen(p) + 1)
		f[n++] = p;
	in = (struct bpg_csrf_in){ f[0] ? f[0] : "POST", f[1], f[2], f[3] };
	(void)bpg_csrf_check(&in, &trusted, BPG_WHY(why));
	(void)bpg_csrf_check(&in, NULL, BPG_WHY(why));
	for (int b = BPG_BODY_NONE; b <= BPG_BODY_UPLOAD + 1; b++)
		(void)bpg_media_accept((enum bpg_route_body)b, f[4], &m, BPG_WHY(why));
	free(s);
	return 0;
}
