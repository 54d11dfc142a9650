/* test-pipeline.c -- configuration files: the default config is valid;
 * schema errors name file and line; XXE and entity bombs are refused
 * before anything is read or expanded; every malformed XML file of the
 * corpus is refused with a message; options are checked against the
 * plugins. */
#include <config.h>

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pipeline.h"
#include "tap.h"
#include "xmlsafe.h"

static char tmpdir[] = "/tmp/dangan-cfg-test.XXXXXX";

static char *
write_cfg(const char *name, const char *text)
{
	char *p = dg_path_join(tmpdir, name);
	FILE *f = fopen(p, "w");

	fputs(text, f);
	fclose(f);
	return p;
}

static int
load(const char *name, const char *text, struct dg_registry *reg, struct dg_err *err)
{
	char *p = write_cfg(name, text);
	struct dg_config *cfg = NULL;
	int rc = dg_config_load(&cfg, p, reg, err);

	dg_config_free(cfg);
	dg_free(p);
	return rc;
}

#define HEAD "<?xml version=\"1.0\"?>\n<dangan xmlns=\"urn:dangan:config:1\">\n"

static int
corpus_dir(const char *dir, int *refused, int *total)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (!d)
		return -1;
	while ((e = readdir(d)) != NULL) {
		char *p;
		struct dg_config *cfg = NULL;
		struct dg_err err = {0};
		struct stat st;
		if (e->d_name[0] == '.')
			continue;
		p = dg_path_join(dir, e->d_name);
		if (stat(p, &st) == 0 && S_ISREG(st.st_mode)) {
			(*total)++;
			if (dg_config_load(&cfg, p, NULL, &err) < 0 && err.msg[0])
				(*refused)++;
			else
				diag("accepted: %s", p);
			dg_config_free(cfg);
		}
		dg_free(p);
	}
	closedir(d);
	return 0;
}

int
main(void)
{
	struct dg_err err = {0};
	struct dg_config *cfg = NULL;
	struct dg_registry *reg;
	char *def, *secret;
	const char *data = getenv("DG_TEST_DATA");
	const struct dg_pipeline *pl;
	int refused = 0, total = 0;
	static const char *sets[] = {"libxml2_recurse", "libxml2_errors", "libxml2_misc"};
	size_t i;

	if (!mkdtemp(tmpdir))
		return 1;
	dg_xml_init();
	reg = dg_registry_new(NULL);

	def = dg_path_join(dg_datadir(), "dangan.xml");
	ok(dg_config_load(&cfg, def, reg, &err) == 0, "the shipped default config is valid (%s)", err.msg);
	pl = cfg ? dg_config_pipeline(cfg, NULL) : NULL;
	ok(pl && strcmp(pl->name, "default") == 0 && pl->nstages == 8, "default pipeline with its stages");
	ok(cfg && dg_config_pipeline(cfg, "store-only") != NULL, "named pipeline found");
	dg_config_free(cfg);
	dg_free(def);

	ok(load("a.xml",
	        HEAD "  <pipeline name=\"p\">\n    <stage id=\"x\" plugin=\"text\" on-failure=\"explode\"/>\n"
	             "  </pipeline>\n</dangan>\n",
	        NULL, &err) < 0 &&
	       strstr(err.msg, "a.xml:4"),
	   "schema error names file and line: %s", err.msg);
	ok(load("b.xml", HEAD "<pipeline name=\"p\"><stage id=\"x\" plugin=\"../../tmp/evil\"/></pipeline></dangan>",
	        NULL, &err) < 0,
	   "a plugin path in a config is refused by the schema");
	ok(load("c.xml", HEAD "<pipeline name=\"p\">\n<stage id=\"x\" plugin=\"nosuch\"/></pipeline></dangan>", reg,
	        &err) < 0 &&
	       strstr(err.msg, "c.xml:4") && strstr(err.msg, "nosuch"),
	   "unknown plugin named with its line: %s", err.msg);
	ok(load("d.xml",
	        HEAD "<pipeline name=\"p\">\n<stage id=\"x\" plugin=\"archive\">\n"
	             "<option name=\"max-ratio\">lots</option></stage></pipeline></dangan>",
	        reg, &err) < 0 &&
	       strstr(err.msg, "d.xml:5") && strstr(err.msg, "max-ratio"),
	   "bad option value named with its line: %s", err.msg);
	ok(load("e.xml",
	        HEAD "<pipeline name=\"p\"><stage id=\"x\" plugin=\"text\"/><stage id=\"x\" plugin=\"text\"/>"
	             "</pipeline></dangan>",
	        NULL, &err) < 0 &&
	       strstr(err.msg, "twice"),
	   "duplicate stage id refused");

	/* options of source plugins */
	{
		struct dg_config *sc = NULL;
		char *p =
		    write_cfg("src.xml", HEAD "<source plugin=\"mailbox\"><option name=\"content-length\">yes</option>"
		                              "</source>\n<pipeline name=\"p\"/></dangan>");
		const struct dg_module *mb = dg_registry_get(reg, "mailbox", &err);
		const char *over[] = {"mailbox.content-length=no", "imap.after=move"};
		const char *bad[] = {"mailbox.content-length=perhaps"};
		struct dg_opts *o;
		ok(mb && dg_config_load(&sc, p, reg, &err) == 0 && sc->nsources == 1, "a <source> element is read (%s)",
		   err.msg);
		o = sc && mb ? dg_config_source_opts(sc, mb->desc, NULL, 0, &err) : NULL;
		ok(o && dg_opts_bool(o, "content-length") == 1, "a source gets its options from the config");
		dg_opts_free(o);
		o = sc && mb ? dg_config_source_opts(sc, mb->desc, over, 2, &err) : NULL;
		ok(o && dg_opts_bool(o, "content-length") == 0,
		   "-O overrides the config, other plugins' options ignored");
		dg_opts_free(o);
		o = sc && mb ? dg_config_source_opts(sc, mb->desc, bad, 1, &err) : NULL;
		ok(!o && strstr(err.msg, "content-length"), "a bad override is refused: %s", err.msg);
		dg_opts_free(o);
		dg_config_free(sc);
		dg_free(p);
	}
	ok(load("src2.xml", HEAD "<source plugin=\"text\"/>\n<pipeline name=\"p\"/></dangan>", reg, &err) < 0 &&
	       strstr(err.msg, "not a source"),
	   "a stage plugin as a source is refused: %s", err.msg);
	ok(load("src3.xml",
	        HEAD "<source plugin=\"mailbox\">\n<option name=\"nosuch\">1</option></source>"
	             "<pipeline name=\"p\"/></dangan>",
	        reg, &err) < 0 &&
	       strstr(err.msg, "src3.xml:3") && strstr(err.msg, "nosuch"),
	   "an unknown source option is refused with its line: %s", err.msg);

	/* XXE: the secret must never be read */
	secret = write_cfg("secret.txt", "TOP-SECRET-CONTENT");
	{
		char *x = dg_asprintf("<?xml version=\"1.0\"?>\n<!DOCTYPE dangan [<!ENTITY s SYSTEM \"file://%s\">]>\n"
		                      "<dangan xmlns=\"urn:dangan:config:1\"><pipeline name=\"p\"><description>&s;"
		                      "</description></pipeline></dangan>",
		                      secret);
		ok(load("xxe.xml", x, NULL, &err) < 0 && strstr(err.msg, "DOCTYPE") && !strstr(err.msg, "TOP-SECRET"),
		   "XXE config refused before reading anything: %s", err.msg);
		dg_free(x);
	}
	ok(load("lol.xml",
	        "<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [<!ENTITY lol \"lol\">"
	        "<!ENTITY lol2 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">"
	        "<!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">]>"
	        "<dangan xmlns=\"urn:dangan:config:1\"><pipeline name=\"&lol3;\"/></dangan>",
	        NULL, &err) < 0 &&
	       strstr(err.msg, "DOCTYPE"),
	   "billion laughs refused: %s", err.msg);
	ok(load("net.xml",
	        "<?xml version=\"1.0\"?>\n<!DOCTYPE dangan SYSTEM \"http://127.0.0.1:9/x.dtd\">\n"
	        "<dangan xmlns=\"urn:dangan:config:1\"/>",
	        NULL, &err) < 0,
	   "external DTD over the network refused");

	for (i = 0; data && i < sizeof(sets) / sizeof(sets[0]); i++) {
		char *dir = dg_asprintf("%s/malformed/xml/%s", data, sets[i]);
		corpus_dir(dir, &refused, &total);
		dg_free(dir);
	}
	ok(total > 90, "malformed XML corpus found (%d files)", total);
	is_int(refused, total, "every malformed XML file is refused as a config, with a message");

	dg_registry_free(reg);
	dg_free(secret);
	dg_rmtree(tmpdir);
	return done_testing();
}
