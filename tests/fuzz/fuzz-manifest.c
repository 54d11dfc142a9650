/* fuzz-manifest.c -- libFuzzer harness: any bytes as a manifest (the
 * store's own format, read back by verify, show and reindex). */
#include <config.h>

#include <stdint.h>

#include "record.h"
#include "xmlsafe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dg_record r;
	struct dg_err err = {0};
	struct dg_buf b;

	dg_xml_init();
	dg_record_init(&r);
	if (dg_manifest_parse((const char *)data, size, &r, &err) == 0) {
		/* what parses must serialise again */
		dg_buf_init(&b, 0);
		dg_manifest_write(&r, &b);
		dg_buf_release(&b);
	}
	dg_record_release(&r);
	return 0;
}
