/* fuzz-archive.c -- libFuzzer harness: any bytes ingested through the
 * real engine with the archive stage (libarchive) in a scratch store.
 * Entries must never escape, limits must hold, nothing may crash.
 * Needs DANGAN_PLUGIN_PATH and DANGAN_DATADIR like the tests. */
#include <config.h>

#include "engine-harness.h"

static const char cfg_text[] =
    "<?xml version=\"1.0\"?>\n<dangan xmlns=\"urn:dangan:config:1\">\n"
    "<pipeline name=\"fuzz\"><stage id=\"unpack\" plugin=\"archive\">"
    "<option name=\"max-total\">64M</option><option name=\"max-entries\">1000</option></stage>"
    "<stage id=\"text\" plugin=\"text\"><match type=\"text/*\"/></stage></pipeline></dangan>\n";

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_engine_init("fuzz-archive", cfg_text);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_engine_run(data, size);
	return 0;
}
