/* fuzz-ocfl.c -- libFuzzer harness for the OCFL validator: any bytes as
 * the inventory.json of an object (a valid declaration, a version
 * directory with a content file beside it), and, chosen by the first
 * byte, also as the version's own inventory, with a matching sidecar,
 * or as the ocfl_layout.json and 0004 config.json of a storage root
 * holding that object.  The plugin's sources are compiled in and its
 * findings go to a counting host: nothing may crash, leak or read
 * outside the directory, and a finding must always have a message. */
#include <config.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../plugins/ocfl/digest.c"
#include "../../plugins/ocfl/verify.c"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char top[512], obj[600];
static long nfindings;

static void DG_PRINTF(5, 6) fuzz_finding(struct dg_ctx *ctx, enum dg_finding_level level, const char *code,
                                         const char *where, const char *fmt, ...)
{
	char msg[64];
	va_list ap;

	(void)ctx;
	(void)code;
	(void)where;
	if (level > DG_FINDING_ERROR)
		abort();
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!msg[0])
		abort();
	nfindings++;
}

static void
put(const char *dir, const char *name, const void *data, size_t size)
{
	char path[900];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f)
		abort();
	if (size)
		fwrite(data, 1, size, f);
	if (fclose(f) != 0)
		abort();
}

static void
drop(const char *dir, const char *name)
{
	char path[900];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	unlink(path);
}

static void
sub(const char *dir, const char *name, char *out, size_t cap)
{
	snprintf(out, cap, "%s/%s", dir, name);
	if (mkdir(out, 0700) != 0)
		abort();
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *tmp = getenv("TMPDIR");
	char p[700], q[800];

	(void)argc;
	(void)argv;
	snprintf(top, sizeof(top), "%s/dangan-fuzz-ocfl.XXXXXX", tmp && *tmp && strlen(tmp) < 400 ? tmp : "/tmp");
	if (!mkdtemp(top))
		abort();
	put(top, "0=ocfl_1.1", "ocfl_1.1\n", 9);
	sub(top, "extensions", p, sizeof(p));
	sub(p, "0004-hashed-n-tuple-storage-layout", q, sizeof(q));
	sub(top, "obj", obj, sizeof(obj));
	put(obj, "0=ocfl_object_1.1", "ocfl_object_1.1\n", 16);
	sub(obj, "v1", p, sizeof(p));
	sub(p, "content", q, sizeof(q));
	put(q, "a_file.txt", "Hello! Fuzz me.\n", 16);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dg_host host;
	char v1[700], ext[800], hex[OCFL_HEX_MAX], line[OCFL_HEX_MAX + 32];
	unsigned mode = size ? data[0] : 0;

	memset(&host, 0, sizeof(host));
	host.struct_size = sizeof(host);
	host.abi_major = DG_ABI_MAJOR;
	host.abi_minor = DG_ABI_MINOR;
	host.finding = fuzz_finding;
	snprintf(v1, sizeof(v1), "%s/v1", obj);
	snprintf(ext, sizeof(ext), "%s/extensions/0004-hashed-n-tuple-storage-layout", top);

	put(obj, "inventory.json", data, size);
	if (mode & 1) {
		/* a sidecar that matches: the checks past it */
		if (ocfl_digest_mem(OCFL_SHA512, data, size, hex) != 0)
			abort();
		snprintf(line, sizeof(line), "%s inventory.json\n", hex);
		put(obj, "inventory.json.sha512", line, strlen(line));
	} else {
		drop(obj, "inventory.json.sha512");
	}
	if (mode & 2) {
		put(v1, "inventory.json", data, size);
		if (mode & 1)
			put(v1, "inventory.json.sha512", line, strlen(line));
	} else {
		drop(v1, "inventory.json");
		drop(v1, "inventory.json.sha512");
	}
	if (mode & 4) {
		put(top, "ocfl_layout.json", data, size);
		put(ext, "config.json", data, size);
		ocfl_verify(NULL, &host, 1 << 20, top);
	} else {
		drop(top, "ocfl_layout.json");
		drop(ext, "config.json");
		ocfl_verify(NULL, &host, 1 << 20, obj);
	}
	return 0;
}
