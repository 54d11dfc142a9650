/* fuzz-config.c -- libFuzzer harness: any bytes as a pipeline config.
 * Must never crash, hang or read a file other than the config. */
#include <config.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "pipeline.h"
#include "xmlsafe.h"

static char path[64];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dg_config *cfg = NULL;
	struct dg_err err = {0};
	FILE *f;

	if (!path[0]) {
		snprintf(path, sizeof(path), "/tmp/dangan-fuzz-config-%ld.xml", (long)getpid());
		dg_xml_init();
	}
	f = fopen(path, "wb");
	if (!f)
		return 0;
	fwrite(data, 1, size, f);
	fclose(f);
	if (dg_config_load(&cfg, path, NULL, &err) == 0)
		dg_config_free(cfg);
	return 0;
}
