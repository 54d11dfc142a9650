/* test-store.c -- objects are content-addressed, read-only, published
 * in protocol order; refs; re-hashing finds corruption; the writer lock
 * keeps a second writer out; temp files of a dead run are cleaned. */
#include <config.h>

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store.h"
#include "tap.h"

/* sha256("hello\n") */
#define HELLO "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03"

static int refs_called;

static int
on_refs(void *ctx)
{
	(void)ctx;
	refs_called++;
	return 0;
}

int
main(void)
{
	char dir[] = "/tmp/dangan-store-test.XXXXXX";
	struct dg_store *s = NULL, *s2 = NULL;
	struct dg_err err = {0};
	struct dg_publish p;
	char hex[65], m[65], got[65], *tmp = NULL, *path = NULL, *root;
	int64_t size;
	struct stat st;
	char **docs;
	size_t ndocs;
	int fd;

	if (!mkdtemp(dir))
		return 1;
	root = dg_path_join(dir, "store");
	ok(dg_store_open(&s, root, DG_STORE_WRITE, &err) < 0 && strstr(err.msg, "not a dangan store"),
	   "opening a missing store fails clearly");
	ok(dg_store_open(&s, root, DG_STORE_WRITE | DG_STORE_CREATE, &err) == 0, "store created (%s)", err.msg);
	ok(dg_store_open(&s2, root, DG_STORE_WRITE, &err) < 0 && strstr(err.msg, "in use"),
	   "a second writer is refused: %s", err.msg);

	ok(dg_store_put_mem(s, "hello\n", 6, hex, &tmp, &err) == 0, "object written to temp");
	is_str(hex, HELLO, "named by its SHA-256");
	ok(!dg_store_has(s, HELLO), "not visible before publish");
	dg_publish_init(&p);
	dg_publish_add_object(&p, tmp, hex);
	dg_publish_add_ref(&p, HELLO, HELLO);
	ok(dg_store_publish(s, &p, on_refs, NULL, &err) == 0, "batch published (%s)", err.msg);
	dg_publish_release(&p);
	is_int(refs_called, 1, "catalog hook called once refs are durable");
	ok(dg_store_has(s, HELLO), "object visible after publish");
	ok(access(tmp, F_OK) != 0, "temp file gone");
	path = dg_store_object_path(s, HELLO);
	ok(stat(path, &st) == 0 && (st.st_mode & 0777) == 0444, "object is read-only (0444)");
	ok(strstr(path, "/objects/58/91b5") != NULL, "fan-out directory");
	is_int(dg_store_ref_get(s, HELLO, m), 1, "ref found");
	is_str(m, HELLO, "ref content");
	ok(dg_store_journal_read(s, &docs, &ndocs) == 0 && ndocs == 0, "journal cleared after the catalog hook");
	dg_free(tmp);

	/* the same bytes again: same name, nothing new */
	ok(dg_store_put_mem(s, "hello\n", 6, hex, &tmp, &err) == 0, "same bytes written again");
	dg_publish_init(&p);
	dg_publish_add_object(&p, tmp, hex);
	ok(dg_store_publish(s, &p, NULL, NULL, &err) == 0, "publishing an existing object succeeds");
	dg_publish_release(&p);
	dg_free(tmp);

	is_int(dg_store_check_object(s, HELLO, got, &size), 0, "intact object verifies");
	chmod(path, 0644);
	fd = open(path, O_WRONLY);
	ok(fd >= 0 && pwrite(fd, "j", 1, 0) == 1, "flip a byte");
	close(fd);
	is_int(dg_store_check_object(s, HELLO, got, &size), 1, "corrupt object detected");
	ok(strcmp(got, HELLO) != 0, "actual digest reported");

	/* a dead run's temp files are cleaned at the next writer open */
	{
		char *t = dg_asprintf("%s/objects/tmp/obj-dead", dg_store_root(s));
		fd = open(t, O_WRONLY | O_CREAT, 0644);
		close(fd);
		dg_store_free(s);
		s = NULL;
		ok(dg_store_open(&s, root, DG_STORE_WRITE, &err) == 0, "reopened");
		ok(access(t, F_OK) != 0, "stale temp file removed");
		dg_free(t);
	}
	dg_free(path);
	dg_store_free(s);
	dg_rmtree(dir);
	dg_free(root);
	return done_testing();
}
