/* fuzz-manifest.c -- libFuzzer harness: any bytes as a manifest (the
 * store's own format, read back by verify, show and reindex). */
#include <config.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
		/* what parses must serialise again, and that must parse back
		 * to the same document and values */
		struct dg_record back;
		dg_buf_init(&b, 0);
		dg_record_init(&back);
		if (dg_manifest_write(&r, &b) == 0) {
			if (dg_manifest_parse(b.data, b.len, &back, &err) != 0) {
				fprintf(stderr, "round trip failed: %s\n", err.msg);
				abort();
			}
			if (strcmp(back.doc_hex, r.doc_hex) != 0 || back.nmeta != r.nmeta || back.nparts != r.nparts)
				abort();
			for (size_t i = 0; i < r.nmeta; i++)
				if (strcmp(back.meta[i].value, r.meta[i].value) != 0)
					abort();
		}
		dg_record_release(&back);
		dg_buf_release(&b);
	}
	dg_record_release(&r);
	return 0;
}
