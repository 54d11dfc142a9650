/* fuzz-email.c -- libFuzzer harness: any bytes as a mail message (the
 * only message of a Maildir, so its type is given and the email stage
 * parses it whatever libmagic would say) or, when the first byte is
 * odd, as an mbox behind a From line: the mailbox source, GMime's
 * parser, the header charset detection, the body decoding, attachments
 * emitted as children (text and archive stages behind).  Nothing may
 * crash; damage is recorded, never fatal.
 * Needs DANGAN_PLUGIN_PATH and DANGAN_DATADIR like the tests. */
#include <config.h>

#include <sys/stat.h>

#include "engine-harness.h"

static const char cfg_text[] =
    "<?xml version=\"1.0\"?>\n<dangan xmlns=\"urn:dangan:config:1\">\n"
    "<pipeline name=\"fuzz\">"
    "<stage id=\"unpack\" plugin=\"archive\"><match type=\"application/zip\"/>"
    "<option name=\"max-total\">16M</option></stage>"
    "<stage id=\"email\" plugin=\"email\"><match type=\"message/*\"/><match type=\"application/mbox\"/>"
    "<match type=\"text/plain\"/><option name=\"max-body\">1M</option></stage>"
    "<stage id=\"text\" plugin=\"text\"><match type=\"text/*\"/></stage></pipeline></dangan>\n";

static char maildir[600], message[700], mbox[700];

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char sub[700];
	static const char *const subs[] = {"cur", "new", "tmp"};
	size_t i;

	(void)argc;
	(void)argv;
	fuzz_engine_init("fuzz-email", cfg_text);
	/* beside the harness's own input file */
	snprintf(maildir, sizeof(maildir), "%.*s/Maildir", (int)(strrchr(fuzz_input, '/') - fuzz_input), fuzz_input);
	if (mkdir(maildir, 0700) != 0)
		abort();
	for (i = 0; i < 3; i++) {
		snprintf(sub, sizeof(sub), "%s/%s", maildir, subs[i]);
		if (mkdir(sub, 0700) != 0)
			abort();
	}
	snprintf(message, sizeof(message), "%s/cur/1.fuzz:2,S", maildir);
	snprintf(mbox, sizeof(mbox), "%s.mbox", fuzz_input);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 0 && (data[0] & 1)) {
		if (fuzz_write(mbox, "From fuzz@example.org Thu Jan  1 00:00:00 1970\n", data + 1, size - 1) == 0)
			fuzz_engine_ingest(mbox);
	} else if (fuzz_write(message, NULL, data, size) == 0) {
		fuzz_engine_ingest(maildir);
	}
	return 0;
}
