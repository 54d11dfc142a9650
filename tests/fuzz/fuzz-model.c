/* fuzz-model.c -- libFuzzer harness: any bytes as a model file of the
 * learned classifier (state/learned/model, read at every stage start).
 * Each input is read twice: as it is, and with its trailing checksum
 * made right, so that the fuzzer reaches the structural checks.  What
 * reads must score a text, write out and read back to the same model.
 * Inputs asking for more than 2^16 buckets are left out: the tables
 * they allocate only cost time (the unit test reads large ones). */
#include <config.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../plugins/learned/model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
exercise(const unsigned char *d, size_t len)
{
	struct nb_model m, back;
	unsigned char *out = NULL;
	size_t olen = 0;
	uint32_t *f = NULL;
	double z[NB_MAX_CLASSES], p[NB_MAX_CLASSES];
	char err[256];
	long n;

	if (nb_read(d, len, &m, 1, err, sizeof(err)) != 0) {
		if (!err[0])
			abort(); /* a refusal always says why */
		return;
	}
	n = nb_features(&m, "供用电合同 ＡＢＣ 123", strlen("供用电合同 ＡＢＣ 123"), &f);
	if (n > 0) {
		nb_raw(&m, f, (size_t)n, z);
		nb_softmax(z, m.nclasses, m.beta, p);
	}
	free(f);
	if (nb_write(&m, &out, &olen) != 0)
		abort();
	if (nb_read(out, olen, &back, 0, err, sizeof(err)) != 0) {
		fprintf(stderr, "round trip failed: %s\n", err);
		abort();
	}
	if (back.nclasses != m.nclasses || back.ndocs != m.ndocs || back.bits != m.bits)
		abort();
	nb_free(&back);
	free(out);
	nb_free(&m);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char *d;
	uint64_t h = 0xcbf29ce484222325ull;
	size_t i;

	if (size >= 28 && (data[24] > 16 || data[25] || data[26] || data[27]))
		return 0;
	exercise(data, size);
	if (size < 16)
		return 0;
	d = malloc(size);
	if (!d)
		return 0;
	memcpy(d, data, size);
	for (i = 0; i < size - 8; i++) {
		h ^= d[i];
		h *= 0x100000001b3ull;
	}
	for (i = 0; i < 8; i++)
		d[size - 8 + i] = (unsigned char)(h >> (8 * i));
	exercise(d, size);
	free(d);
	return 0;
}
