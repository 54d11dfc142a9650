/* fuzz-imap.c -- libFuzzer harness for what the IMAP source reads from
 * a server and from its state file, without a server: the lines of a
 * server's answers (FETCH items with nested lists, tagged NO/BAD text
 * kept for errors) and UID sets ("1:5,9"), whose parse, format and
 * parse again must agree.  The plugin's source is compiled in so that
 * its static parsers are reached directly. */
#include <config.h>

#include "../../plugins/imap/imap.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_uid_set(const char *text)
{
	struct imap_set a = {0}, b = {0};
	struct imap_buf f = {0};

	if (imap_set_parse(&a, text) == 0) {
		imap_set_format(&a, 0, &f, SIZE_MAX / 4);
		if (f.p != NULL && (imap_set_parse(&b, f.p) != 0 || imap_set_count(&a) != imap_set_count(&b)))
			abort(); /* what is written must read back the same */
		for (size_t i = 0; i < a.n; i++)
			if (!imap_set_has(&a, a.r[i].lo) || !imap_set_has(&a, a.r[i].hi))
				abort();
	}
	imap_set_clear(&a);
	imap_set_clear(&b);
	free(f.p);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct imap_run r;
	char *text = malloc(size + 1), *line, *save = NULL;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	memset(&r, 0, sizeof(r));
	imap_header_cb(text, 1, size, &r);
	if (strlen(r.said) >= sizeof(r.said))
		abort();
	fuzz_uid_set(text);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct imap_msg m;
		memset(&m, 0, sizeof(m));
		if (imap_parse_fetch(line, &m) == 0 && m.uid == 0)
			abort();
	}
	free(text);
	return 0;
}
