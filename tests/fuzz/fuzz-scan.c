/* fuzz-scan.c -- libFuzzer harness: any bytes ingested through the real
 * engine with only the scan stage (leptonica for raster images, poppler
 * in a child process for PDF) in a scratch store.  Limits must hold,
 * nothing may crash.  The limits are lowered so that one input stays
 * fast.  Needs DANGAN_PLUGIN_PATH (with plugins/scan/.libs) and
 * DANGAN_DATADIR like the tests. */
#include <config.h>

#include "engine-harness.h"

static const char cfg_text[] = "<?xml version=\"1.0\"?>\n<dangan xmlns=\"urn:dangan:config:1\">\n"
                               "<pipeline name=\"fuzz\"><stage id=\"scan\" plugin=\"scan\">"
                               "<option name=\"max-pixels\">2M</option><option name=\"max-pages\">64</option>"
                               "<option name=\"max-memory\">256M</option><option name=\"timeout\">20</option>"
                               "</stage></pipeline></dangan>\n";

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_engine_init("fuzz-scan", cfg_text);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_engine_run(data, size);
	return 0;
}
