/* bpg_crc32: CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320), slicing-by-8. */
#include <pthread.h>
#include <string.h>
#include "bpg_crc32.h"

static uint32_t table[8][256];
static pthread_once_t table_once = PTHREAD_ONCE_INIT;

static void
table_init(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;
		for (int k = 0; k < 8; k++)
			c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
		table[0][i] = c;
	}
	for (uint32_t i = 0; i < 256; i++)
		for (int t = 1; t < 8; t++)
			table[t][i] = (table[t - 1][i] >> 8) ^ table[0][table[t - 1][i] & 0xff];
}

uint32_t
bpg_crc32(uint32_t crc, const void *p, size_t n)
{
	const unsigned char *s = p;

	pthread_once(&table_once, table_init);
	crc = ~crc;
	for (; n >= 8; n -= 8, s += 8) {
		/* little-endian words, assembled bytewise: any alignment, any host */
		uint32_t lo = crc ^ ((uint32_t)s[0] | (uint32_t)s[1] << 8 | (uint32_t)s[2] << 16 |
		    (uint32_t)s[3] << 24);
		uint32_t hi = (uint32_t)s[4] | (uint32_t)s[5] << 8 | (uint32_t)s[6] << 16 |
		    (uint32_t)s[7] << 24;
		crc = table[7][lo & 0xff] ^ table[6][(lo >> 8) & 0xff] ^ table[5][(lo >> 16) & 0xff] ^
		    table[4][lo >> 24] ^ table[3][hi & 0xff] ^ table[2][(hi >> 8) & 0xff] ^
		    table[1][(hi >> 16) & 0xff] ^ table[0][hi >> 24];
	}
	while (n-- > 0)
		crc = table[0][(crc ^ *s++) & 0xff] ^ (crc >> 8);
	return ~crc;
}

void
bpg_crc32_b64(uint32_t crc, char out[BPG_CRC32_B64_LEN + 1])
{
	static const char b64[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	unsigned char b[4] = { (unsigned char)(crc >> 24), (unsigned char)(crc >> 16),
	    (unsigned char)(crc >> 8), (unsigned char)crc };

	out[0] = b64[b[0] >> 2];
	out[1] = b64[((b[0] & 3) << 4) | (b[1] >> 4)];
	out[2] = b64[((b[1] & 15) << 2) | (b[2] >> 6)];
	out[3] = b64[b[2] & 63];
	out[4] = b64[b[3] >> 2];
	out[5] = b64[(b[3] & 3) << 4];
	out[6] = '=';
	out[7] = '=';
	out[8] = '\0';
}
