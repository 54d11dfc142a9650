/*
 * simhash.h -- a text fingerprint for near-duplicates: two scans of the
 * same paper are different bytes (different documents) but give the same
 * or nearly the same OCR text, and so the same or a close fingerprint.
 *
 * The text is normalised first: full-width ASCII (U+FF01..U+FF5E) and the
 * ideographic space become ASCII, ASCII letters lowercase, and every
 * whitespace, control, punctuation and box-drawing/check-box character is
 * dropped (OCR puts spaces, line breaks and punctuation where it likes).
 * What remains is a sequence of characters (code points); invalid UTF-8
 * bytes are skipped.
 *
 * The fingerprint is the 64-bit simhash of the character 3-grams of that
 * sequence: each 3-gram (a, b, c) is hashed as FNV-1a 64 over the twelve
 * bytes of a, b, c as little-endian 32-bit code points, then mixed with
 * MurmurHash3's fmix64; bit i of the fingerprint is 1 when more 3-grams
 * have bit i set than clear (a tie gives 0).  Every 3-gram counts once per
 * occurrence.  Changing these rules changes every stored fingerprint: the
 * catalog recomputes them on reindex, but links already recorded in
 * manifests stay as they were.  Internal.
 */
#ifndef DG_SIMHASH_H
#define DG_SIMHASH_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

/* Texts with fewer normalised characters than this get no fingerprint:
 * too little text to tell a re-scan from a different short form. */
#define DG_SIMHASH_MIN_CHARS 50
/* Only the first bytes of a text count (a fingerprint of 4 MiB of text
 * is as good as of all of it, and costs a bounded time). */
#define DG_SIMHASH_MAX_BYTES ((size_t)4 << 20)
/* Fingerprints at most this many bits apart are near-duplicates.  With 4
 * bands of 16 bits, two such fingerprints share at least one band. */
#define DG_SIMHASH_NEAR 3
#define DG_SIMHASH_BANDS 4

/* The fingerprint of text (UTF-8, len bytes, only the first
 * DG_SIMHASH_MAX_BYTES read).  Returns 0 with *out set, or 1 when the
 * text is too short for one (*out = 0). */
int dg_simhash(const char *text, size_t len, uint64_t *out);

/* The normalised text as UTF-8 (what the fingerprint is computed over),
 * appended to b; returns the number of characters. */
size_t dg_simhash_normalise(const char *text, size_t len, struct dg_buf *b);

/* Hamming distance of two fingerprints (0..64). */
int dg_simhash_distance(uint64_t a, uint64_t b);

/* Band i (0..3) of a fingerprint: bits 16i..16i+15. */
static inline unsigned
dg_simhash_band(uint64_t h, int i)
{
	return (unsigned)((h >> (16 * i)) & 0xffffu);
}

#endif
