/* bpg_crc32: CRC-32 (IEEE 802.3, as zlib and S3's x-amz-checksum-crc32 compute it). */
#ifndef BPG_CRC32_H
#define BPG_CRC32_H

#include <stddef.h>
#include <stdint.h>

/* Continues crc (0 to start) over the n bytes at p; eight bytes a step (slicing-by-8). */
uint32_t bpg_crc32(uint32_t crc, const void *p, size_t n);

/* The checksum as S3 takes it: the 4 bytes, most significant first, in base64 ("xxxxxx=="). */
#define BPG_CRC32_B64_LEN 8
void bpg_crc32_b64(uint32_t crc, char out[BPG_CRC32_B64_LEN + 1]);

#endif
