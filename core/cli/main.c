/*
 * main.c -- the `dangan` command.  Each subcommand is a small function
 * over libdangan; see dangan(1) for the user's view.
 *
 * Exit status: 0 success; 1 done, but with problems (documents
 * quarantined, verify found errors, nothing found); 2 usage error;
 * 3 store or configuration error; 4 fatal error during a run.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dangan/dangan.h"
#include "catalog.h"
#include "edit.h"
#include "dossier.h"
#include "pipeline.h"
#include "engine.h"
#include "export.h"
#include "fourcheck.h"
#include "loader.h"
#include "quarantine.h"
#include "record.h"
#include "store.h"
#include "train.h"
#include "util.h"
#include "verify.h"
#include "xmlsafe.h"

#define EX_OK 0
#define EX_PROBLEMS 1
#define EX_USAGE 2
#define EX_STORE 3
#define EX_FATAL 4

struct global {
	const char *store;
	const char *config;
	const char *plugin_path;
	int verbosity;
	int json;
	int tty_out; /* stdout is a terminal */
};

static struct global g;

static void die_usage(const char *fmt, ...) DG_PRINTF(1, 2);
static void
die_usage(const char *fmt, ...)
{
	va_list ap;

	fputs("dangan: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nTry 'dangan --help'.\n", stderr);
	exit(EX_USAGE);
}

static void errmsg(const char *fmt, ...) DG_PRINTF(1, 2);
static void
errmsg(const char *fmt, ...)
{
	va_list ap;

	fputs("dangan: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static const char usage_text[] =
    "Usage: dangan [--store DIR] [--config FILE] [-v|-q] COMMAND [ARGS]\n"
    "\n"
    "A document engine for archives: ingest files, archives and text through a\n"
    "pipeline of plugins into a content-addressed store with a searchable catalog.\n"
    "\n"
    "Commands:\n"
    "  init                         create a store (and its editable config.xml)\n"
    "  ingest [--pipeline NAME] [-j N] [-O PLUGIN.OPT=VAL] [--json] LOCATOR...\n"
    "                               run files, directories, mailboxes (mbox, Maildir,\n"
    "                               imaps://user@host/Folder) through the pipeline\n"
    "  ls [--json] [--limit N]      list documents\n"
    "  show ID [--json]             a document: parts, metadata, relations, history\n"
    "  cat ID [--part ROLE]         write a part's bytes (default: the original)\n"
    "  search QUERY [--json] [--limit N] [--fts]\n"
    "                               find documents by text (substrings, Chinese too)\n"
    "  verify [--json]              re-hash every object and check every reference\n"
    "  reindex                      rebuild the catalog from the store\n"
    "  quarantine ls [--json] | retry [ID...] | drop ID...\n"
    "                               documents that failed, with the reason\n"
    "  plugins ls [--json] | show NAME\n"
    "                               installed plugins and their options\n"
    "  config check [FILE]          check a configuration against the schema and plugins\n"
    "  stats [--json]               counts and sizes\n"
    "  dossier ls [--json] | show 户号 [--json]\n"
    "                               customer dossiers (一户一档): documents filed by\n"
    "                               their 户号, ordered by formation date\n"
    "  dossier check [户号...] [--business B] [--catalogue DIR] [--json]\n"
    "                               what the filing scope says each dossier lacks\n"
    "  export --format F [--query Q | ID...] -o PATH [-O OPT=VAL] [-j N] [--json]\n"
    "         [--no-verify] [--report BASE] [--danghao-pattern ERE]\n"
    "                               write a package: eep, carrier, bagit, ocfl, eark\n"
    "                               (all documents when nothing is selected), check\n"
    "                               it, and write the four-property report PATH.check.*\n"
    "  verify-bag | verify-ocfl | verify-eep | verify-eark [-O OPT=VAL] PATH...\n"
    "         [--json]\n"
    "  verify-package --format F [-O OPT=VAL] PATH... [--json]\n"
    "                               check a package (from any producer); exit 0 = valid\n"
    "  import [--format F] [--pipeline NAME] [-j N] [--report BASE] [--json] PATH...\n"
    "                               read packages back into the store (files bit-exact)\n"
    "  set ID KEY=VALUE... [--by NAME] [--json]\n"
    "                               correct a document's metadata: a new version with\n"
    "                               a 'set' event (doctype=CODE or type=CODE: a person's type)\n"
    "  train [--folds K | --test-split F] [--catalogue NAME] [--any]\n"
    "        [--min-confidence C] [--plugin NAME] [-O OPT=VAL] [--json]\n"
    "                               train the learned classifier on the labelled\n"
    "                               documents; install the model\n"
    "  review ls [--json]           documents a stage flagged for a person to check\n"
    "                               (an OCR page under review-below, an uncertain\n"
    "                               classification), with the reason\n"
    "\n"
    "Global options:\n"
    "  -s, --store DIR     the store (default: $DANGAN_STORE, else ./dangan-store)\n"
    "  -c, --config FILE   the configuration (default: $DANGAN_CONFIG, else the store's\n"
    "                      config.xml, else the installed default)\n"
    "      --plugin-path P colon-separated plugin directories ($DANGAN_PLUGIN_PATH)\n"
    "  -v, --verbose       more messages (repeat for debug)\n"
    "  -q, --quiet         errors only\n"
    "  -h, --help          this help;  -V, --version  the version\n"
    "\n"
    "IDs are sha256:<hex> or any unique prefix of the hex (at least 4 digits).\n"
    "Exit status: 0 ok, 1 done with problems, 2 usage, 3 store/config error, 4 fatal.\n";

/* ---- helpers --------------------------------------------------------- */

static int
open_read(struct dg_store **s, struct dg_catalog **c)
{
	struct dg_err err = {0};
	char *cat;

	*s = NULL;
	*c = NULL;
	if (dg_store_open(s, g.store, 0, &err) < 0) {
		errmsg("%s", err.msg);
		return EX_STORE;
	}
	cat = dg_path_join(dg_store_root(*s), "catalog.db");
	if (!cat || dg_catalog_open(c, cat, &err) < 0) {
		errmsg("%s", err.msg);
		dg_free(cat);
		dg_store_free(*s);
		*s = NULL;
		return EX_STORE;
	}
	dg_free(cat);
	/* catch up after an interrupted run, if no writer is active */
	{
		struct dg_store *w = NULL;
		if (dg_store_open(&w, g.store, DG_STORE_WRITE, &err) == 0) {
			dg_engine_recover(w, *c, &err);
			dg_store_free(w);
		}
	}
	return EX_OK;
}

static void
close_read(struct dg_store *s, struct dg_catalog *c)
{
	dg_catalog_free(c);
	dg_store_free(s);
}

/* A command's output.  On a terminal, the names and texts in it are
 * untrusted (a file named with an escape sequence, a document's text):
 * their control characters are shown as '?', as ls does; redirected,
 * the output is left as it is for scripts. */
static void
out_buf(struct dg_buf *b)
{
	if (g.tty_out && b->len)
		b->len = dg_term_lines(b->data, b->len);
	if (b->len)
		fwrite(b->data, 1, b->len, stdout);
	dg_buf_reset(b);
}

static void
iso_us(int64_t us, char *out, size_t cap)
{
	dg_iso8601(us / 1000000, out, cap);
}

/* ---- init ------------------------------------------------------------ */

static int
copy_default_config(const char *root)
{
	char *src = dg_path_join(dg_datadir(), "dangan.xml");
	char *dst = dg_path_join(root, "config.xml");
	char *data = NULL;
	size_t len;
	int fd = -1, rc = -1;

	if (!src || !dst)
		goto out;
	if (access(dst, F_OK) == 0) {
		rc = 0;
		goto out;
	}
	if (dg_read_file(src, 1u << 20, &data, &len) < 0) {
		errmsg("cannot read the default config %s: %s", src, strerror(errno));
		goto out;
	}
	fd = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, data, len) != (ssize_t)len || fsync(fd) < 0) {
		errmsg("cannot write %s: %s", dst, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	dg_free(src);
	dg_free(dst);
	dg_free(data);
	return rc;
}

static int
cmd_init(int argc, char **argv)
{
	struct dg_store *s = NULL;
	struct dg_catalog *c = NULL;
	struct dg_err err = {0};
	char *cat = NULL;
	int rc = EX_STORE;

	if (argc > 1)
		die_usage("init takes no arguments (the store is --store DIR)");
	if (dg_store_open(&s, g.store, DG_STORE_WRITE | DG_STORE_CREATE, &err) < 0) {
		errmsg("%s", err.msg);
		return EX_STORE;
	}
	cat = dg_path_join(dg_store_root(s), "catalog.db");
	if (!cat || dg_catalog_open(&c, cat, &err) < 0) {
		errmsg("%s", err.msg);
		goto out;
	}
	if (copy_default_config(dg_store_root(s)) < 0)
		goto out;
	printf("initialised store %s\n", dg_store_root(s));
	rc = EX_OK;
out:
	dg_free(cat);
	dg_catalog_free(c);
	dg_store_free(s);
	return rc;
}

/* ---- ingest ---------------------------------------------------------- */

static void
on_doc_json(void *ctx, const struct dg_doc_report *r)
{
	struct dg_buf b;

	(void)ctx;
	dg_buf_init(&b, 0);
	dg_buf_adds(&b, "{\"id\":");
	dg_buf_json_str(&b, r->id);
	dg_buf_adds(&b, ",\"outcome\":");
	dg_buf_json_str(&b, r->outcome);
	dg_buf_adds(&b, ",\"source\":");
	dg_buf_json_str(&b, r->source);
	dg_buf_adds(&b, ",\"media_type\":");
	dg_buf_json_str(&b, r->media_type);
	dg_buf_addf(&b, ",\"size\":%lld,\"depth\":%d", (long long)r->size, r->depth);
	if (r->reason) {
		dg_buf_adds(&b, ",\"reason\":");
		dg_buf_json_str(&b, r->reason);
	}
	dg_buf_adds(&b, "}\n");
	out_buf(&b);
	dg_buf_release(&b);
}

static void
on_doc_text(void *ctx, const struct dg_doc_report *r)
{
	struct dg_buf b;

	(void)ctx;
	dg_buf_init(&b, 0);
	if (r->reason)
		dg_buf_addf(&b, "%-11s %s  %s: %s\n", r->outcome, r->id ? r->id + 7 : "-", r->source, r->reason);
	else
		dg_buf_addf(&b, "%-11s %.16s  %s\n", r->outcome, r->id ? r->id + 7 : "-", r->source);
	out_buf(&b);
	dg_buf_release(&b);
}

static void
print_stats(const struct dg_ingest_stats *st, const char *what)
{
	char rate[32];
	double secs = st->seconds > 0 ? st->seconds : 1e-9;

	dg_human_size((double)st->bytes / secs, rate, sizeof(rate));
	if (g.json) {
		printf("{\"summary\":{\"documents\":%lld,\"new\":%lld,\"duplicates\":%lld,\"quarantined\":%lld,"
		       "\"warnings\":%lld,\"bytes\":%lld,\"seconds\":%.3f}}\n",
		       (long long)st->docs, (long long)st->new_docs, (long long)st->duplicates,
		       (long long)st->quarantined, (long long)st->warnings, (long long)st->bytes, st->seconds);
		return;
	}
	fprintf(stderr,
	        "%s: %lld documents (%lld new, %lld duplicate), %lld quarantined, %lld with warnings; "
	        "%.1f s, %.1f docs/s, %s/s\n",
	        what, (long long)st->docs, (long long)st->new_docs, (long long)st->duplicates,
	        (long long)st->quarantined, (long long)st->warnings, st->seconds,
	        (double)(st->docs + st->quarantined) / secs, rate);
	if (st->quarantined)
		fprintf(stderr, "see 'dangan quarantine ls' for the reasons\n");
}

/* -O PLUGIN.OPTION=VALUE of ingest, for source plugins */
static const char *source_opts[64];
static size_t nsource_opts;

static int
open_engine(struct dg_engine **e, const char *pipeline, int jobs, int create)
{
	struct dg_engine_opts o = DG_ENGINE_OPTS_INIT;
	char err[DG_ERR_MAX + 256];
	int rc;

	o.store = g.store;
	o.config = g.config;
	o.plugin_path = g.plugin_path;
	o.pipeline = pipeline;
	o.jobs = jobs;
	o.create = create;
	o.verbosity = g.verbosity;
	o.progress = isatty(STDERR_FILENO) && g.verbosity > 0;
	o.source_options = source_opts;
	o.nsource_options = nsource_opts;
	if (g.json)
		o.on_doc = on_doc_json;
	else if (g.verbosity > 1)
		o.on_doc = on_doc_text;
	rc = dg_engine_open(e, &o, err, sizeof(err));
	if (rc)
		errmsg("%s", err);
	return rc;
}

static int
cmd_ingest(int argc, char **argv)
{
	static const struct option lo[] = {{"pipeline", required_argument, NULL, 'p'},
	                                   {"jobs", required_argument, NULL, 'j'},
	                                   {"json", no_argument, NULL, 'J'},
	                                   {"source-option", required_argument, NULL, 'O'},
	                                   {NULL, 0, NULL, 0}};
	const char *pipeline = NULL;
	int jobs = 0, c, rc, created = 0;
	struct dg_engine *e = NULL;
	struct dg_ingest_stats st;
	char err[DG_ERR_MAX + 256] = "";
	struct stat sb;

	optind = 0; /* re-initialise getopt: options may follow the arguments */
	while ((c = getopt_long(argc, argv, "p:j:O:", lo, NULL)) != -1) {
		switch (c) {
		case 'p': pipeline = optarg; break;
		case 'O': {
			const char *dot = strchr(optarg, '.'), *eq = strchr(optarg, '=');
			if (!dot || !eq || dot > eq || dot == optarg)
				die_usage("-O takes PLUGIN.OPTION=VALUE (e.g. imap.after=move)");
			if (nsource_opts == sizeof(source_opts) / sizeof(source_opts[0]))
				die_usage("too many -O options");
			source_opts[nsource_opts++] = optarg;
			break;
		}
		case 'j': {
			int64_t v;
			if (dg_parse_i64(optarg, &v) < 0 || v < 1 || v > 256)
				die_usage("-j takes a number of workers from 1 to 256");
			jobs = (int)v;
			break;
		}
		case 'J': g.json = 1; break;
		default: exit(EX_USAGE);
		}
	}
	if (optind >= argc)
		die_usage("ingest needs at least one PATH");
	if (stat(g.store, &sb) < 0) {
		created = 1;
		if (g.verbosity > 0)
			fprintf(stderr, "dangan: creating store %s\n", g.store);
	}
	rc = open_engine(&e, pipeline, jobs, 1);
	if (rc)
		return rc;
	if (created) {
		char *root = realpath(g.store, NULL);
		if (root)
			copy_default_config(root);
		free(root);
	}
	rc = dg_engine_ingest(e, (const char *const *)argv + optind, (size_t)(argc - optind), &st, err, sizeof(err));
	dg_engine_close(e);
	if (g.verbosity > 0 || g.json)
		print_stats(&st, "ingest");
	if (err[0])
		errmsg("%s", err);
	return rc;
}

/* ---- ls, show, cat, search ------------------------------------------- */

struct rowctx {
	struct dg_buf b;
	int n;
};

static void
row_json(struct dg_buf *b, const struct dg_catalog_row *r)
{
	char when[32];

	dg_buf_adds(b, "{\"id\":");
	dg_buf_addf(b, "\"sha256:%s\"", r->id);
	dg_buf_addf(b, ",\"manifest\":\"sha256:%s\",\"media_type\":", r->manifest);
	dg_buf_json_str(b, r->media_type);
	dg_buf_addf(b, ",\"size\":%lld,\"name\":", (long long)r->size);
	dg_buf_json_str(b, r->name);
	dg_buf_adds(b, ",\"path\":");
	dg_buf_json_str(b, r->path);
	dg_buf_adds(b, ",\"title\":");
	dg_buf_json_str(b, r->title);
	dg_buf_adds(b, ",\"status\":");
	dg_buf_json_str(b, r->status);
	iso_us(r->created_us, when, sizeof(when));
	dg_buf_addf(b, ",\"ingested\":\"%s\"", when);
	if (r->snippet) {
		dg_buf_adds(b, ",\"snippet\":");
		dg_buf_json_str(b, r->snippet);
	}
	dg_buf_adds(b, "}");
}

static int
ls_row(void *ctx, const struct dg_catalog_row *r)
{
	struct rowctx *rc = ctx;
	char size[32], when[32];

	if (g.json) {
		dg_buf_adds(&rc->b, rc->n ? ",\n " : "[\n ");
		row_json(&rc->b, r);
	} else {
		dg_human_size((double)r->size, size, sizeof(size));
		iso_us(r->created_us, when, sizeof(when));
		dg_buf_addf(&rc->b, "%.12s  %-24.24s %10s  %s  %s\n", r->id, r->media_type ? r->media_type : "?", size,
		            when, r->path ? r->path : (r->name ? r->name : ""));
		if (r->snippet) {
			size_t at = rc->b.len + 4, k;
			dg_buf_addf(&rc->b, "    %s\n", r->snippet);
			for (k = at; k + 1 < rc->b.len; k++) /* one line per hit */
				if (rc->b.data[k] == '\n' || rc->b.data[k] == '\r')
					rc->b.data[k] = ' ';
		}
	}
	rc->n++;
	if (rc->b.len > 65536)
		out_buf(&rc->b);
	return 0;
}

static int64_t
parse_limit(const char *s)
{
	int64_t v;

	if (dg_parse_i64(s, &v) < 0 || v < 1)
		die_usage("--limit takes a positive number");
	return v;
}

static int
cmd_ls(int argc, char **argv)
{
	static const struct option lo[] = {
	    {"json", no_argument, NULL, 'J'}, {"limit", required_argument, NULL, 'l'}, {NULL, 0, NULL, 0}};
	struct dg_store *s;
	struct dg_catalog *c;
	struct rowctx rc = {0};
	int64_t limit = 0;
	int ch, r;

	optind = 0; /* re-initialise getopt: options may follow the arguments */
	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		if (ch == 'J')
			g.json = 1;
		else if (ch == 'l')
			limit = parse_limit(optarg);
		else
			exit(EX_USAGE);
	}
	if (optind < argc)
		die_usage("ls takes no arguments");
	if ((r = open_read(&s, &c)) != EX_OK)
		return r;
	dg_buf_init(&rc.b, 0);
	r = dg_catalog_list(c, limit, ls_row, &rc);
	if (g.json)
		dg_buf_adds(&rc.b, rc.n ? "\n]\n" : "[]\n");
	out_buf(&rc.b);
	dg_buf_release(&rc.b);
	close_read(s, c);
	return r < 0 ? EX_STORE : EX_OK;
}

/* A full id is looked up in the store itself (so it works without a
 * catalog); a prefix through the catalog. */
static int
resolve_id(struct dg_store *s, struct dg_catalog *c, const char *arg, char hex[65])
{
	struct dg_err err = {0};
	const char *h = strncmp(arg, "sha256:", 7) == 0 ? arg + 7 : arg;
	char m[65];

	if (strlen(h) == 64 && dg_is_hex(h, 64) && dg_store_ref_get(s, h, m) == 1) {
		memcpy(hex, h, 65);
		return 0;
	}
	if (dg_catalog_resolve(c, arg, hex, &err) < 0) {
		errmsg("%s", err.msg);
		return -1;
	}
	return 0;
}

/* The first value of metadata KEY in R, or NULL. */
static const char *
record_meta(const struct dg_record *r, const char *key)
{
	size_t i;

	for (i = 0; i < r->nmeta; i++)
		if (strcmp(r->meta[i].key, key) == 0)
			return r->meta[i].value;
	return NULL;
}

/* A probability written as text ("0.91"), as a JSON number; null when it
 * is not one. */
static void
json_prob(struct dg_buf *b, const char *s, size_t n)
{
	char tmp[32], *end;
	double v;

	if (!s || n == 0 || n >= sizeof(tmp)) {
		dg_buf_adds(b, "null");
		return;
	}
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	errno = 0;
	v = strtod(tmp, &end);
	if (errno || *end || end == tmp || v < 0 || v > 1)
		dg_buf_adds(b, "null");
	else
		dg_buf_add(b, tmp, n);
}

/* "classification": the document type the classify stage (or a person)
 * gave, gathered from the doctype.* metadata: type, names, confidence as
 * a number, the candidates, the extracted fields (those doctype.field
 * names) and why the document is on the review list.  Nothing when the
 * document has no doctype. */
static void
classification_json(struct dg_buf *b, const struct dg_record *r)
{
	static const char *const plain[][2] = {{"name", "doctype.name"},
	                                       {"category", "doctype.category"},
	                                       {"retention", "doctype.retention"},
	                                       {"method", "doctype.method"},
	                                       {"catalogue", "doctype.catalogue"}};
	const char *type = record_meta(r, "doctype"), *v, *p;
	size_t i, j;
	int n;

	if (!type)
		return;
	dg_buf_adds(b, ",\"classification\":{\"type\":");
	dg_buf_json_str(b, type);
	for (i = 0; i < sizeof(plain) / sizeof(plain[0]); i++) {
		dg_buf_addf(b, ",\"%s\":", plain[i][0]);
		dg_buf_json_str(b, record_meta(r, plain[i][1]));
	}
	dg_buf_adds(b, ",\"confidence\":");
	v = record_meta(r, "doctype.confidence");
	json_prob(b, v, v ? strlen(v) : 0);
	/* "CONTRACT:0.91 APP:0.05" -> [{"type":"CONTRACT","p":0.91},...] */
	dg_buf_adds(b, ",\"candidates\":[");
	v = record_meta(r, "doctype.candidates");
	for (n = 0; v && *v; n++) {
		const char *sp = strchr(v, ' '), *end = sp ? sp : v + strlen(v);
		p = memchr(v, ':', (size_t)(end - v));
		if (p) {
			struct dg_buf code;
			dg_buf_init(&code, 0);
			dg_buf_add(&code, v, (size_t)(p - v));
			dg_buf_adds(b, n ? ",{\"type\":" : "{\"type\":");
			dg_buf_json_str(b, code.data ? code.data : "");
			dg_buf_adds(b, ",\"p\":");
			json_prob(b, p + 1, (size_t)(end - p - 1));
			dg_buf_adds(b, "}");
			dg_buf_release(&code);
		} else {
			n--;
		}
		v = sp ? sp + 1 : end;
	}
	dg_buf_adds(b, "],\"fields\":{");
	for (i = 0, n = 0; i < r->nmeta; i++) {
		if (strcmp(r->meta[i].key, "doctype.field") != 0)
			continue;
		for (j = 0; j < i; j++) /* a name listed twice */
			if (strcmp(r->meta[j].key, "doctype.field") == 0 &&
			    strcmp(r->meta[j].value, r->meta[i].value) == 0)
				break;
		if (j < i || !(v = record_meta(r, r->meta[i].value)))
			continue;
		if (n++)
			dg_buf_adds(b, ",");
		dg_buf_json_str(b, r->meta[i].value);
		dg_buf_adds(b, ":");
		dg_buf_json_str(b, v);
	}
	dg_buf_adds(b, "}");
	for (i = 0; i < 2; i++) {
		const char *key = i ? "field.problems" : "review.reason";
		dg_buf_addf(b, ",\"%s\":[", i ? "field_problems" : "review");
		for (j = 0, n = 0; j < r->nmeta; j++)
			if (strcmp(r->meta[j].key, key) == 0) {
				if (n++)
					dg_buf_adds(b, ",");
				dg_buf_json_str(b, r->meta[j].value);
			}
		dg_buf_adds(b, "]");
	}
	dg_buf_adds(b, "}");
}

static void
record_json(struct dg_buf *b, const struct dg_record *r, const char *manifest)
{
	char when[32];
	size_t i, j;

	dg_buf_addf(b, "{\"id\":\"sha256:%s\",\"manifest\":\"sha256:%s\",", r->doc_hex, manifest);
	if (r->parent_hex[0])
		dg_buf_addf(b, "\"parent\":\"sha256:%s\",", r->parent_hex);
	dg_buf_adds(b, "\"media_type\":");
	dg_buf_json_str(b, r->media_type);
	dg_buf_adds(b, ",\"status\":");
	dg_buf_json_str(b, r->status);
	dg_buf_adds(b, ",\"parts\":[");
	for (i = 0; i < r->nparts; i++) {
		dg_buf_adds(b, i ? ",{\"role\":" : "{\"role\":");
		dg_buf_json_str(b, r->parts[i].role);
		dg_buf_adds(b, ",\"media_type\":");
		dg_buf_json_str(b, r->parts[i].media_type);
		dg_buf_addf(b, ",\"size\":%lld,\"digest\":\"sha256:%s\"}", (long long)r->parts[i].size,
		            r->parts[i].hex);
	}
	/* metadata as key -> [values] */
	dg_buf_adds(b, "],\"metadata\":{");
	for (i = 0; i < r->nmeta; i++) {
		int first = 1;
		for (j = 0; j < i; j++)
			if (strcmp(r->meta[j].key, r->meta[i].key) == 0)
				first = 0;
		if (!first)
			continue;
		if (b->data[b->len - 1] != '{')
			dg_buf_adds(b, ",");
		dg_buf_json_str(b, r->meta[i].key);
		dg_buf_adds(b, ":[");
		for (j = i; j < r->nmeta; j++) {
			if (strcmp(r->meta[j].key, r->meta[i].key) != 0)
				continue;
			if (b->data[b->len - 1] != '[')
				dg_buf_adds(b, ",");
			dg_buf_json_str(b, r->meta[j].value);
		}
		dg_buf_adds(b, "]");
	}
	dg_buf_adds(b, "}");
	classification_json(b, r);
	dg_buf_adds(b, ",\"relations\":[");
	for (i = 0; i < r->nrels; i++) {
		dg_buf_adds(b, i ? ",{\"kind\":" : "{\"kind\":");
		dg_buf_json_str(b, r->rels[i].kind);
		dg_buf_addf(b, ",\"target\":\"sha256:%s\",\"label\":", r->rels[i].hex);
		dg_buf_json_str(b, r->rels[i].label);
		dg_buf_adds(b, "}");
	}
	dg_buf_adds(b, "],\"events\":[");
	for (i = 0; i < r->nevents; i++) {
		const struct dg_event *e = &r->events[i];
		iso_us(e->at_us, when, sizeof(when));
		dg_buf_adds(b, i ? ",{\"type\":" : "{\"type\":");
		dg_buf_json_str(b, e->type);
		dg_buf_adds(b, ",\"stage\":");
		dg_buf_json_str(b, e->stage);
		dg_buf_adds(b, ",\"plugin\":");
		dg_buf_json_str(b, e->plugin);
		dg_buf_adds(b, ",\"plugin_version\":");
		dg_buf_json_str(b, e->plugin_version);
		dg_buf_adds(b, ",\"outcome\":");
		dg_buf_json_str(b, e->outcome);
		dg_buf_addf(b, ",\"at\":\"%s\",\"duration_us\":%lld,\"message\":", when, (long long)e->duration_us);
		dg_buf_json_str(b, e->message);
		dg_buf_adds(b, "}");
	}
	dg_buf_adds(b, "]}");
}

static void
record_text(struct dg_buf *b, const struct dg_record *r, const char *manifest, int version)
{
	char when[32], size[32];
	size_t i;

	if (version == 0) {
		dg_buf_addf(b, "document   sha256:%s\n", r->doc_hex);
		dg_buf_addf(b, "media type %s\nstatus     %s\n", r->media_type ? r->media_type : "?",
		            r->status ? r->status : "ok");
		dg_buf_adds(b, "parts:\n");
		for (i = 0; i < r->nparts; i++) {
			dg_human_size((double)r->parts[i].size, size, sizeof(size));
			dg_buf_addf(b, "  %-10s %-28s %10s  sha256:%.16s\n", r->parts[i].role, r->parts[i].media_type,
			            size, r->parts[i].hex);
		}
		dg_buf_adds(b, "metadata:\n");
		for (i = 0; i < r->nmeta; i++)
			dg_buf_addf(b, "  %s = %s\n", r->meta[i].key, r->meta[i].value);
		if (r->nrels)
			dg_buf_adds(b, "relations:\n");
		for (i = 0; i < r->nrels; i++)
			dg_buf_addf(b, "  %s sha256:%.16s%s%s\n", r->rels[i].kind, r->rels[i].hex,
			            r->rels[i].label ? "  " : "", r->rels[i].label ? r->rels[i].label : "");
		dg_buf_adds(b, "history (newest version first):\n");
	}
	dg_buf_addf(b, "  version %d  manifest sha256:%.16s\n", version + 1, manifest);
	for (i = 0; i < r->nevents; i++) {
		const struct dg_event *e = &r->events[i];
		iso_us(e->at_us, when, sizeof(when));
		dg_buf_addf(b, "    %s  %-8s %-10s %-9s %s", when, e->type, e->stage ? e->stage : "-",
		            e->plugin ? e->plugin : "-", e->outcome);
		if (e->duration_us)
			dg_buf_addf(b, " (%.1f ms)", (double)e->duration_us / 1000.0);
		if (e->message)
			dg_buf_addf(b, "\n        %s", e->message);
		dg_buf_adds(b, "\n");
	}
}

struct thread_ctx {
	struct dg_buf *b;
	const char *self;
	int n;
};

static int
thread_row(void *ctx, const char *id, const char *date, const char *from, const char *subject)
{
	struct thread_ctx *t = ctx;

	if (g.json) {
		dg_buf_addf(t->b, "%s{\"id\":\"sha256:%s\",\"date\":", t->n ? "," : "", id);
		dg_buf_json_str(t->b, date);
		dg_buf_adds(t->b, ",\"from\":");
		dg_buf_json_str(t->b, from);
		dg_buf_adds(t->b, ",\"subject\":");
		dg_buf_json_str(t->b, subject);
		dg_buf_adds(t->b, "}");
	} else {
		dg_buf_addf(t->b, "%s %.12s  %-25.25s  %-30.30s  %s\n", strcmp(id, t->self) == 0 ? "*" : " ", id,
		            date ? date : "", from ? from : "", subject ? subject : "");
	}
	t->n++;
	return 0;
}

static int
container_row(void *ctx, const char *id, const char *label)
{
	struct thread_ctx *t = ctx;

	if (g.json) {
		dg_buf_addf(t->b, "%s{\"id\":\"sha256:%s\",\"label\":", t->n ? "," : "", id);
		dg_buf_json_str(t->b, label);
		dg_buf_adds(t->b, "}");
	} else {
		dg_buf_addf(t->b, "  %.12s  %s\n", id, label ? label : "");
	}
	t->n++;
	return 0;
}

/* Every document that contains this one (an attachment met in many
 * mails is stored once; each container records it). */
static void
show_containers(struct dg_buf *b, struct dg_catalog *c, const char *hex)
{
	struct thread_ctx t = {b, hex, 0};
	size_t mark = b->len;

	dg_buf_adds(b, g.json ? ",\"contained_in\":[" : "contained in:\n");
	if (dg_catalog_containers(c, hex, container_row, &t) < 0 || t.n == 0) {
		b->len = mark; /* nothing to say */
		if (b->data)
			b->data[mark] = '\0';
		return;
	}
	if (g.json)
		dg_buf_adds(b, "]");
}

static int
near_row(void *ctx, const char *id, const char *relation, const char *label)
{
	struct thread_ctx *t = ctx;

	if (g.json) {
		dg_buf_addf(t->b, "%s{\"id\":\"sha256:%s\",\"relation\":", t->n ? "," : "", id);
		dg_buf_json_str(t->b, relation);
		dg_buf_adds(t->b, ",\"label\":");
		dg_buf_json_str(t->b, label);
		dg_buf_adds(t->b, "}");
	} else {
		dg_buf_addf(t->b, "  %-18s sha256:%.16s  %s\n", relation, id, label ? label : "");
	}
	t->n++;
	return 0;
}

/* Documents whose text is nearly this one's (re-scans of the same
 * paper), both ways: the later one's manifest names the earlier. */
static void
show_near(struct dg_buf *b, struct dg_catalog *c, const char *hex)
{
	struct thread_ctx t = {b, hex, 0};
	size_t mark = b->len;

	dg_buf_adds(b, g.json ? ",\"near_duplicates\":[" : "near-duplicates (nearly the same text):\n");
	if (dg_catalog_near_links(c, hex, near_row, &t) < 0 || t.n == 0) {
		b->len = mark;
		if (b->data)
			b->data[mark] = '\0';
		if (g.json)
			dg_buf_adds(b, ",\"near_duplicates\":[]");
		return;
	}
	if (g.json)
		dg_buf_adds(b, "]");
}

/* The mail thread of a message (messages linked by Message-ID,
 * In-Reply-To and References), in date order. */
static void
show_thread(struct dg_buf *b, struct dg_catalog *c, const char *hex)
{
	struct thread_ctx t = {b, hex, 0};
	int64_t n = dg_catalog_thread(c, hex, NULL, NULL);

	if (n <= 0)
		return;
	dg_buf_adds(b, g.json ? ",\"thread\":[" : "thread (");
	if (!g.json)
		dg_buf_addf(b, "%lld message%s, by date):\n", (long long)n, n == 1 ? "" : "s");
	dg_catalog_thread(c, hex, thread_row, &t);
	if (g.json)
		dg_buf_adds(b, "]");
}

static int
cmd_show(int argc, char **argv)
{
	static const struct option lo[] = {{"json", no_argument, NULL, 'J'}, {NULL, 0, NULL, 0}};
	struct dg_store *s;
	struct dg_catalog *c;
	struct dg_buf b;
	struct dg_err err = {0};
	char hex[65], m[65];
	int ch, r, version = 0;

	optind = 0; /* re-initialise getopt: options may follow the arguments */
	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		if (ch == 'J')
			g.json = 1;
		else
			exit(EX_USAGE);
	}
	if (optind != argc - 1)
		die_usage("show needs one document ID");
	if ((r = open_read(&s, &c)) != EX_OK)
		return r;
	r = EX_PROBLEMS;
	dg_buf_init(&b, 0);
	if (resolve_id(s, c, argv[optind], hex) < 0)
		goto out;
	if (dg_store_ref_get(s, hex, m) != 1) {
		errmsg("document %s is in the catalog but not in the store (run 'dangan reindex')", argv[optind]);
		goto out;
	}
	if (g.json)
		dg_buf_adds(&b, "{\"document\":");
	while (m[0]) {
		struct dg_record rec;
		dg_record_init(&rec);
		if (dg_store_read_manifest(s, m, &rec, &err) < 0) {
			errmsg("%s", err.msg);
			dg_record_release(&rec);
			goto out;
		}
		if (g.json) {
			dg_buf_adds(&b, version == 0 ? "" : (version == 1 ? ",\"history\":[" : ","));
			record_json(&b, &rec, m);
		} else {
			record_text(&b, &rec, m, version);
		}
		memcpy(m, rec.parent_hex, 65);
		dg_record_release(&rec);
		version++;
	}
	if (g.json)
		dg_buf_adds(&b, version > 1 ? "]" : "");
	show_containers(&b, c, hex);
	show_near(&b, c, hex);
	show_thread(&b, c, hex);
	if (g.json)
		dg_buf_adds(&b, "}\n");
	out_buf(&b);
	r = EX_OK;
out:
	dg_buf_release(&b);
	close_read(s, c);
	return r;
}

static int
cmd_cat(int argc, char **argv)
{
	static const struct option lo[] = {{"part", required_argument, NULL, 'p'}, {NULL, 0, NULL, 0}};
	struct dg_store *s;
	struct dg_catalog *c;
	struct dg_record rec;
	struct dg_err err = {0};
	const char *role = DG_ROLE_ORIGINAL;
	char hex[65], m[65], buf[65536];
	char *path = NULL;
	struct dg_part *p;
	int ch, r, fd = -1;
	ssize_t n;

	optind = 0; /* re-initialise getopt: options may follow the arguments */
	while ((ch = getopt_long(argc, argv, "p:", lo, NULL)) != -1) {
		if (ch == 'p')
			role = optarg;
		else
			exit(EX_USAGE);
	}
	if (optind != argc - 1)
		die_usage("cat needs one document ID");
	if ((r = open_read(&s, &c)) != EX_OK)
		return r;
	dg_record_init(&rec);
	r = EX_PROBLEMS;
	if (resolve_id(s, c, argv[optind], hex) < 0)
		goto out;
	if (dg_store_ref_get(s, hex, m) != 1 || dg_store_read_manifest(s, m, &rec, &err) < 0) {
		errmsg("cannot read document %s: %s", hex, err.msg);
		goto out;
	}
	p = dg_record_part(&rec, role);
	if (!p) {
		errmsg("document %.16s has no part '%s'", hex, role);
		goto out;
	}
	path = dg_store_object_path(s, p->hex);
	fd = path ? open(path, O_RDONLY | O_CLOEXEC) : -1;
	if (fd < 0) {
		errmsg("cannot open object sha256:%s: %s", p->hex, strerror(errno));
		goto out;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		if (fwrite(buf, 1, (size_t)n, stdout) != (size_t)n) {
			errmsg("write error: %s", strerror(errno));
			goto out;
		}
	r = n < 0 ? EX_FATAL : EX_OK;
out:
	if (fd >= 0)
		close(fd);
	dg_free(path);
	dg_record_release(&rec);
	close_read(s, c);
	return r;
}

static int
cmd_search(int argc, char **argv)
{
	static const struct option lo[] = {{"json", no_argument, NULL, 'J'},
	                                   {"limit", required_argument, NULL, 'l'},
	                                   {"fts", no_argument, NULL, 'f'},
	                                   {NULL, 0, NULL, 0}};
	struct dg_store *s;
	struct dg_catalog *c;
	struct rowctx rc = {0};
	struct dg_err err = {0};
	struct dg_buf q;
	int64_t limit = 50;
	int ch, r, raw = 0, i;

	optind = 0; /* re-initialise getopt: options may follow the arguments */
	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		if (ch == 'J')
			g.json = 1;
		else if (ch == 'l')
			limit = parse_limit(optarg);
		else if (ch == 'f')
			raw = 1;
		else
			exit(EX_USAGE);
	}
	if (optind >= argc)
		die_usage("search needs a QUERY");
	dg_buf_init(&q, 1 << 16);
	for (i = optind; i < argc; i++) {
		if (i > optind)
			dg_buf_adds(&q, " ");
		dg_buf_adds(&q, argv[i]);
	}
	if ((r = open_read(&s, &c)) != EX_OK) {
		dg_buf_release(&q);
		return r;
	}
	dg_buf_init(&rc.b, 0);
	r = dg_catalog_search(c, q.data ? q.data : "", raw, limit, ls_row, &rc, &err);
	if (g.json)
		dg_buf_adds(&rc.b, rc.n ? "\n]\n" : "[]\n");
	out_buf(&rc.b);
	if (r < 0)
		errmsg("%s", err.msg);
	dg_buf_release(&rc.b);
	dg_buf_release(&q);
	close_read(s, c);
	return r < 0 ? EX_USAGE : (rc.n ? EX_OK : EX_PROBLEMS);
}

/* ---- verify, reindex, stats ------------------------------------------- */

struct vctx {
	struct dg_buf b;
	int n;
};

static void
verify_problem(void *ctx, const char *kind, const char *id, const char *msg)
{
	struct vctx *v = ctx;

	if (g.json) {
		dg_buf_adds(&v->b, v->n ? ",{\"kind\":" : "{\"kind\":");
		dg_buf_json_str(&v->b, kind);
		dg_buf_adds(&v->b, ",\"id\":");
		dg_buf_json_str(&v->b, id);
		dg_buf_adds(&v->b, ",\"message\":");
		dg_buf_json_str(&v->b, msg);
		dg_buf_adds(&v->b, "}");
	} else {
		fprintf(stderr, "verify: %s: %s\n", kind, msg);
	}
	v->n++;
}

static int
cmd_verify(int argc, char **argv)
{
	static const struct option lo[] = {{"json", no_argument, NULL, 'J'}, {NULL, 0, NULL, 0}};
	struct dg_store *s;
	struct dg_catalog *c;
	struct dg_verify_result res;
	struct vctx v = {0};
	int ch, r;

	optind = 0; /* re-initialise getopt: options may follow the arguments */
	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		if (ch == 'J')
			g.json = 1;
		else
			exit(EX_USAGE);
	}
	if (optind < argc)
		die_usage("verify takes no arguments");
	if ((r = open_read(&s, &c)) != EX_OK)
		return r;
	dg_buf_init(&v.b, 0);
	if (g.json)
		dg_buf_adds(&v.b, "{\"problems\":[");
	r = dg_verify(s, c, verify_problem, &v, &res);
	if (g.json) {
		dg_buf_addf(
		    &v.b,
		    "],\"objects\":%lld,\"bytes\":%lld,\"documents\":%lld,\"versions\":%lld,\"quarantined\":%lld,"
		    "\"unreferenced\":%lld,\"errors\":%lld,\"ok\":%s}\n",
		    (long long)res.objects, (long long)res.bytes, (long long)res.documents, (long long)res.versions,
		    (long long)res.quarantined, (long long)res.strays, (long long)res.errors,
		    r == 0 ? "true" : "false");
		out_buf(&v.b);
	} else {
		char size[32];
		dg_human_size((double)res.bytes, size, sizeof(size));
		printf("verify: %lld objects (%s), %lld documents, %lld versions, %lld quarantined; "
		       "%lld unreferenced objects; %lld errors\n",
		       (long long)res.objects, size, (long long)res.documents, (long long)res.versions,
		       (long long)res.quarantined, (long long)res.strays, (long long)res.errors);
		if (res.strays)
			printf("(unreferenced objects are left by interrupted runs; they are harmless)\n");
		printf("%s\n", r == 0 ? "store is consistent" : "STORE HAS PROBLEMS");
	}
	dg_buf_release(&v.b);
	close_read(s, c);
	return r < 0 ? EX_FATAL : (r ? EX_PROBLEMS : EX_OK);
}

static int
cmd_reindex(int argc, char **argv)
{
	struct dg_store *s = NULL;
	struct dg_catalog *c = NULL;
	struct dg_err err = {0};
	char *cat = NULL;
	int64_t n;
	int rc = EX_STORE;

	(void)argv;
	if (argc > 1)
		die_usage("reindex takes no arguments");
	if (dg_store_open(&s, g.store, DG_STORE_WRITE, &err) < 0) {
		errmsg("%s", err.msg);
		return EX_STORE;
	}
	cat = dg_path_join(dg_store_root(s), "catalog.db");
	if (!cat || dg_catalog_open(&c, cat, &err) < 0) {
		errmsg("%s", err.msg);
		goto out;
	}
	n = dg_catalog_rebuild(c, s, &err);
	if (n < 0) {
		errmsg("reindex failed: %s", err.msg);
		goto out;
	}
	dg_store_journal_clear(s);
	printf("reindexed %lld documents\n", (long long)n);
	rc = EX_OK;
out:
	dg_free(cat);
	dg_catalog_free(c);
	dg_store_free(s);
	return rc;
}

struct typesctx {
	struct dg_buf *b;
	int n;
};

static int
types_row(void *ctx, const char *type, int64_t n)
{
	struct typesctx *t = ctx;

	if (g.json) {
		dg_buf_adds(t->b, t->n ? "," : "");
		dg_buf_json_str(t->b, type);
		dg_buf_addf(t->b, ":%lld", (long long)n);
	} else {
		dg_buf_addf(t->b, "  %-40s %lld\n", type, (long long)n);
	}
	t->n++;
	return 0;
}

static int
count_q(void *ctx, const char *id, const struct dg_record *r)
{
	(void)id;
	(void)r;
	(*(int64_t *)ctx)++;
	return 0;
}

static int
cmd_stats(int argc, char **argv)
{
	static const struct option lo[] = {{"json", no_argument, NULL, 'J'}, {NULL, 0, NULL, 0}};
	struct dg_store *s;
	struct dg_catalog *c;
	struct dg_buf b;
	struct typesctx t;
	int64_t docs = 0, bytes = 0, q = 0;
	char size[32];
	int ch, r;

	optind = 0; /* re-initialise getopt: options may follow the arguments */
	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		if (ch == 'J')
			g.json = 1;
		else
			exit(EX_USAGE);
	}
	if ((r = open_read(&s, &c)) != EX_OK)
		return r;
	dg_buf_init(&b, 0);
	dg_catalog_stats(c, &docs, &bytes);
	dg_quarantine_each(s, count_q, &q);
	t.b = &b;
	t.n = 0;
	dg_human_size((double)bytes, size, sizeof(size));
	if (g.json) {
		dg_buf_adds(&b, "{\"store\":");
		dg_buf_json_str(&b, dg_store_root(s));
		dg_buf_addf(&b, ",\"documents\":%lld,\"bytes\":%lld,\"quarantined\":%lld,\"media_types\":{",
		            (long long)docs, (long long)bytes, (long long)q);
	} else {
		dg_buf_addf(&b,
		            "store        %s\ndocuments    %lld\noriginals    %s\nquarantined  %lld\nmedia types:\n",
		            dg_store_root(s), (long long)docs, size, (long long)q);
	}
	dg_catalog_types(c, types_row, &t);
	if (g.json)
		dg_buf_adds(&b, "}}\n");
	out_buf(&b);
	dg_buf_release(&b);
	close_read(s, c);
	return EX_OK;
}

/* ---- quarantine -------------------------------------------------------- */

static int
q_row(void *ctx, const char *id, const struct dg_record *r)
{
	struct rowctx *rc = ctx;
	const char *reason = dg_record_meta(r, "quarantine.reason");
	const char *src = dg_record_meta(r, "source.path");
	const struct dg_part *orig = dg_record_part(r, DG_ROLE_ORIGINAL);
	char when[32];

	if (!src)
		src = dg_record_meta(r, "archive.path");
	if (!src)
		src = dg_record_meta(r, "source.name"); /* an attachment */
	iso_us(r->created_us, when, sizeof(when));
	if (g.json) {
		dg_buf_adds(&rc->b, rc->n ? ",\n " : "[\n ");
		dg_buf_addf(&rc->b, "{\"id\":\"%s\",\"source\":", id);
		dg_buf_json_str(&rc->b, src);
		dg_buf_adds(&rc->b, ",\"reason\":");
		dg_buf_json_str(&rc->b, reason);
		dg_buf_adds(&rc->b, ",\"stage\":");
		dg_buf_json_str(&rc->b, dg_record_meta(r, "quarantine.stage"));
		dg_buf_adds(&rc->b, ",\"media_type\":");
		dg_buf_json_str(&rc->b, r->media_type);
		dg_buf_addf(&rc->b, ",\"bytes_kept\":%s,\"size\":%lld,\"at\":\"%s\"}", orig ? "true" : "false",
		            (long long)(orig ? orig->size : 0), when);
	} else {
		dg_buf_addf(&rc->b, "%.12s  %s  %s\n    %s\n", id, when, src ? src : "?", reason ? reason : "?");
	}
	rc->n++;
	return 0;
}

static int
cmd_quarantine(int argc, char **argv)
{
	struct dg_store *s = NULL;
	struct dg_catalog *c = NULL;
	const char *sub = argc > 1 ? argv[1] : "ls";
	int r, i;

	if (strcmp(sub, "ls") == 0) {
		struct rowctx rc = {0};
		for (i = 2; i < argc; i++) {
			if (strcmp(argv[i], "--json") == 0)
				g.json = 1;
			else
				die_usage("quarantine ls: unknown argument '%s'", argv[i]);
		}
		if ((r = open_read(&s, &c)) != EX_OK)
			return r;
		dg_buf_init(&rc.b, 0);
		dg_quarantine_each(s, q_row, &rc);
		if (g.json)
			dg_buf_adds(&rc.b, rc.n ? "\n]\n" : "[]\n");
		else if (!rc.n)
			dg_buf_adds(&rc.b, "quarantine is empty\n");
		out_buf(&rc.b);
		dg_buf_release(&rc.b);
		close_read(s, c);
		return EX_OK;
	}
	if (strcmp(sub, "drop") == 0) {
		struct dg_err err = {0};
		int bad = 0;
		if (argc < 3)
			die_usage("quarantine drop needs at least one ID");
		if (dg_store_open(&s, g.store, DG_STORE_WRITE, &err) < 0) {
			errmsg("%s", err.msg);
			return EX_STORE;
		}
		for (i = 2; i < argc; i++) {
			char hex[65];
			if (dg_quarantine_resolve(s, argv[i], hex, &err) < 0 || dg_quarantine_remove(s, hex) < 0) {
				errmsg("%s", err.msg);
				bad++;
				continue;
			}
			printf(
			    "dropped quarantine entry %.16s (its bytes stay in the store as an unreferenced object)\n",
			    hex);
		}
		dg_store_free(s);
		return bad ? EX_PROBLEMS : EX_OK;
	}
	if (strcmp(sub, "retry") == 0) {
		struct dg_engine *e = NULL;
		struct dg_ingest_stats st;
		char err[DG_ERR_MAX + 256] = "";
		if ((r = open_engine(&e, NULL, 0, 0)) != EX_OK)
			return r;
		r = dg_engine_retry(e, (const char *const *)argv + 2, (size_t)(argc - 2), &st, err, sizeof(err));
		dg_engine_close(e);
		print_stats(&st, "retry");
		if (err[0])
			errmsg("%s", err);
		return r;
	}
	die_usage("quarantine: unknown subcommand '%s' (ls, retry, drop)", sub);
	return EX_USAGE;
}

/* ---- review ---------------------------------------------------------------- */

static int
review_row(void *ctx, const struct dg_catalog_row *r)
{
	struct rowctx *rc = ctx;

	if (g.json) {
		dg_buf_adds(&rc->b, rc->n ? ",\n " : "[\n ");
		dg_buf_addf(&rc->b, "{\"id\":\"sha256:%s\",\"source\":", r->id);
		dg_buf_json_str(&rc->b, r->path ? r->path : r->name);
		dg_buf_adds(&rc->b, ",\"reason\":");
		dg_buf_json_str(&rc->b, r->snippet);
		dg_buf_adds(&rc->b, "}");
	} else {
		dg_buf_addf(&rc->b, "%.12s  %s\n    %s\n", r->id, r->path ? r->path : (r->name ? r->name : ""),
		            r->snippet ? r->snippet : "");
	}
	rc->n++;
	return 0;
}

/* Documents a person should look at: stages set review.reason (low OCR
 * confidence, uncertain classification). */
static int
cmd_review(int argc, char **argv)
{
	struct dg_store *s;
	struct dg_catalog *c;
	struct rowctx rc = {0};
	int r, i;

	if (argc < 2 || strcmp(argv[1], "ls") != 0)
		die_usage("usage: dangan review ls [--json]");
	for (i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			g.json = 1;
		else
			die_usage("review ls: unknown argument '%s'", argv[i]);
	}
	if ((r = open_read(&s, &c)) != EX_OK)
		return r;
	dg_buf_init(&rc.b, 0);
	r = dg_catalog_with_meta(c, "review.reason", review_row, &rc);
	if (g.json)
		dg_buf_adds(&rc.b, rc.n ? "\n]\n" : "[]\n");
	else if (!rc.n)
		dg_buf_adds(&rc.b, "nothing to review\n");
	out_buf(&rc.b);
	dg_buf_release(&rc.b);
	close_read(s, c);
	return r < 0 ? EX_STORE : EX_OK;
}

/* ---- dossiers ----------------------------------------------------------- */

static void
stale_hint(struct dg_catalog *c)
{
	if (dg_catalog_stale(c))
		errmsg("this catalog was made by an older version: dossiers and near-duplicates of the documents "
		       "already stored appear after 'dangan reindex'");
}

static int
dossier_ls_row(void *ctx, const struct dg_dossier_row *r)
{
	struct rowctx *rc = ctx;
	char first[32], upd[32];

	if (g.json) {
		iso_us(r->first_us, first, sizeof(first));
		iso_us(r->updated_us, upd, sizeof(upd));
		dg_buf_adds(&rc->b, rc->n ? ",\n {\"account\":" : "[\n {\"account\":");
		dg_buf_json_str(&rc->b, r->account);
		dg_buf_adds(&rc->b, ",\"name\":");
		dg_buf_json_str(&rc->b, r->name);
		dg_buf_addf(&rc->b, ",\"documents\":%lld,\"last_date\":", (long long)r->ndocs);
		dg_buf_json_str(&rc->b, r->last_date);
		dg_buf_addf(&rc->b, ",\"first_seen\":\"%s\",\"updated\":\"%s\"}", first, upd);
	} else {
		dg_buf_addf(&rc->b, "%-16s %4lld document%s  last %s  %s\n", r->account, (long long)r->ndocs,
		            r->ndocs == 1 ? " " : "s", r->last_date ? r->last_date : "-", r->name ? r->name : "-");
	}
	rc->n++;
	if (rc->b.len > 65536)
		out_buf(&rc->b);
	return 0;
}

struct dossier_show {
	struct dg_buf b;
	int n;
	const struct dg_dossier_row *row;
	int found;
	int inferred;
};

static int
dossier_field_row(void *ctx, const char *key, const char *value, const char *doc)
{
	struct dossier_show *d = ctx;

	(void)doc;
	if (g.json) {
		if (d->n++)
			dg_buf_adds(&d->b, ",");
		dg_buf_json_str(&d->b, key);
		dg_buf_adds(&d->b, ":");
		dg_buf_json_str(&d->b, value);
	} else {
		/* CJK labels are two columns wide each */
		dg_buf_addf(&d->b, "%s%*s%s\n", key, (int)(12 - 2 * (int)(strlen(key) / 3)), "", value);
	}
	return 0;
}

static int
dossier_doc_row(void *ctx, const struct dg_dossier_doc *doc)
{
	struct dossier_show *d = ctx;
	int ingested = strcmp(doc->formed_from, "ingested") == 0;

	if (g.json) {
		dg_buf_addf(&d->b, "%s{\"id\":\"sha256:%s\",\"formed\":", d->n ? "," : "", doc->id);
		dg_buf_json_str(&d->b, doc->formed);
		dg_buf_adds(&d->b, ",\"formed_from\":");
		dg_buf_json_str(&d->b, doc->formed_from);
		dg_buf_adds(&d->b, ",\"doctype\":");
		dg_buf_json_str(&d->b, doc->doctype);
		dg_buf_adds(&d->b, ",\"title\":");
		dg_buf_json_str(&d->b, doc->title);
		dg_buf_adds(&d->b, ",\"business\":");
		dg_buf_json_str(&d->b, doc->business);
		dg_buf_adds(&d->b, ",\"near_duplicate_of\":[");
		for (const char *p = doc->near_of; p && *p;) {
			size_t len = strcspn(p, " ");
			dg_buf_addf(&d->b, "%s\"sha256:%.*s\"", p == doc->near_of ? "" : ",", (int)len, p);
			p += len;
			p += *p == ' ';
		}
		dg_buf_adds(&d->b, "]}");
	} else {
		dg_buf_addf(&d->b, "  %s%s %-10s %.12s  %s", doc->formed, ingested ? "~" : " ",
		            doc->doctype ? doc->doctype : "-", doc->id, doc->title ? doc->title : "");
		if (doc->near_of)
			dg_buf_addf(&d->b, "  (near-duplicate of %.12s%s)", doc->near_of,
			            strchr(doc->near_of, ' ') ? " and others" : "");
		dg_buf_adds(&d->b, "\n");
		d->inferred |= ingested;
	}
	d->n++;
	return 0;
}

static int
dossier_head(void *ctx, const struct dg_dossier_row *r)
{
	struct dossier_show *d = ctx;
	char first[32], upd[32];

	iso_us(r->first_us, first, sizeof(first));
	iso_us(r->updated_us, upd, sizeof(upd));
	d->found = 1;
	if (g.json) {
		dg_buf_adds(&d->b, "{\"account\":");
		dg_buf_json_str(&d->b, r->account);
		dg_buf_adds(&d->b, ",\"name\":");
		dg_buf_json_str(&d->b, r->name);
		dg_buf_addf(&d->b,
		            ",\"first_seen\":\"%s\",\"updated\":\"%s\",\"documents_count\":%lld,\"last_date\":", first,
		            upd, (long long)r->ndocs);
		dg_buf_json_str(&d->b, r->last_date);
	} else {
		dg_buf_addf(&d->b, "dossier     %s\n", r->account);
		dg_buf_addf(&d->b, "first seen  %s\nupdated     %s\n", first, upd);
	}
	return 0;
}

static int
dossier_show(struct dg_catalog *c, const char *account)
{
	struct dossier_show d = {0};
	int r = EX_STORE;

	dg_buf_init(&d.b, 0);
	if (dg_catalog_dossiers(c, account, dossier_head, &d) < 0)
		goto out;
	if (!d.found) {
		errmsg("no dossier for 户号 %s", account);
		r = EX_PROBLEMS;
		goto out;
	}
	if (g.json)
		dg_buf_adds(&d.b, ",\"fields\":{");
	if (dg_catalog_dossier_fields(c, account, dossier_field_row, &d) < 0)
		goto out;
	d.n = 0;
	if (g.json)
		dg_buf_adds(&d.b, "},\"documents\":[");
	else
		dg_buf_adds(&d.b, "documents, by formation date:\n");
	if (dg_catalog_dossier_docs(c, account, dossier_doc_row, &d) < 0)
		goto out;
	if (g.json)
		dg_buf_adds(&d.b, "]}\n");
	else if (d.inferred)
		dg_buf_adds(&d.b, "(~ no date in the document: the day it came)\n");
	out_buf(&d.b);
	r = EX_OK;
out:
	dg_buf_release(&d.b);
	return r;
}

/* ---- dossier check: the filing scope ---- */

#define CHECK_MAX_VALUES 256

struct values {
	char *v[CHECK_MAX_VALUES];
	size_t n;
};

static int
values_add(void *ctx, const char *value)
{
	struct values *vs = ctx;

	if (vs->n < CHECK_MAX_VALUES && (vs->v[vs->n] = dg_strdup(value)))
		vs->n++;
	return 0;
}

static void
values_release(struct values *vs)
{
	size_t i;

	for (i = 0; i < vs->n; i++)
		dg_free(vs->v[i]);
	vs->n = 0;
}

static int
values_has(const struct values *vs, const char *v)
{
	size_t i;

	for (i = 0; i < vs->n; i++)
		if (strcmp(vs->v[i], v) == 0)
			return 1;
	return 0;
}

struct check {
	const struct dg_scope *scope;
	const char *business; /* --business */
	const char *catalogue;
	struct dg_catalog *c;
	struct dg_buf b;
	int n;
	int64_t checked, incomplete;
};

static int
check_one(void *ctx, const struct dg_dossier_row *r)
{
	struct check *ck = ctx;
	struct values biz = {{0}, 0}, present = {{0}, 0};
	size_t i, k;
	int complete = 1, nb = 0;

	if (ck->business)
		values_add(&biz, ck->business);
	else if (dg_catalog_dossier_values(ck->c, r->account, DG_DOSSIER_BUSINESS_KEY, values_add, &biz) < 0 ||
	         biz.n == 0)
		values_add(&biz, DG_DOSSIER_DEFAULT_BUSINESS);
	dg_catalog_dossier_values(ck->c, r->account, "doctype", values_add, &present);
	if (g.json) {
		dg_buf_adds(&ck->b, ck->n ? ",\n {\"account\":" : "[\n {\"account\":");
		dg_buf_json_str(&ck->b, r->account);
		dg_buf_adds(&ck->b, ",\"name\":");
		dg_buf_json_str(&ck->b, r->name);
		dg_buf_adds(&ck->b, ",\"present\":[");
		for (i = 0; i < present.n; i++) {
			if (i)
				dg_buf_adds(&ck->b, ",");
			dg_buf_json_str(&ck->b, present.v[i]);
		}
		dg_buf_adds(&ck->b, "],\"business\":[");
	} else {
		dg_buf_addf(&ck->b, "%s  %s\n", r->account, r->name ? r->name : "-");
	}
	for (i = 0; i < biz.n; i++) {
		const struct dg_scope_business *sb = dg_scope_find(ck->scope, biz.v[i]);
		struct values missing = {{0}, 0};
		for (k = 0; sb && k < sb->ntypes; k++)
			if (!values_has(&present, sb->types[k]))
				values_add(&missing, sb->types[k]);
		if (!sb || missing.n)
			complete = 0;
		if (g.json) {
			dg_buf_adds(&ck->b, nb++ ? ",{\"type\":" : "{\"type\":");
			dg_buf_json_str(&ck->b, biz.v[i]);
			dg_buf_addf(&ck->b, ",\"scope\":%s,\"required\":[", sb ? "true" : "false");
			for (k = 0; sb && k < sb->ntypes; k++) {
				if (k)
					dg_buf_adds(&ck->b, ",");
				dg_buf_json_str(&ck->b, sb->types[k]);
			}
			dg_buf_adds(&ck->b, "],\"missing\":[");
			for (k = 0; k < missing.n; k++) {
				dg_buf_adds(&ck->b, k ? ",{\"type\":" : "{\"type\":");
				dg_buf_json_str(&ck->b, missing.v[k]);
				dg_buf_adds(&ck->b, ",\"name\":");
				dg_buf_json_str(&ck->b, dg_scope_type_name(ck->scope, missing.v[k]));
				dg_buf_adds(&ck->b, "}");
			}
			dg_buf_adds(&ck->b, "]}");
		} else if (!sb) {
			dg_buf_addf(&ck->b, "  %s: no filing scope for this business type in %s\n", biz.v[i],
			            ck->catalogue);
		} else if (missing.n) {
			dg_buf_addf(&ck->b, "  %s: missing", biz.v[i]);
			for (k = 0; k < missing.n; k++) {
				const char *name = dg_scope_type_name(ck->scope, missing.v[k]);
				dg_buf_addf(&ck->b, "%s %s%s%s", k ? "," : "", missing.v[k], name ? " " : "",
				            name ? name : "");
			}
			dg_buf_adds(&ck->b, "\n");
		} else {
			dg_buf_addf(&ck->b, "  %s: complete (%zu required type%s present)\n", biz.v[i], sb->ntypes,
			            sb->ntypes == 1 ? "" : "s");
		}
		values_release(&missing);
	}
	if (g.json)
		dg_buf_addf(&ck->b, "],\"complete\":%s}", complete ? "true" : "false");
	ck->n++;
	ck->checked++;
	if (!complete)
		ck->incomplete++;
	values_release(&biz);
	values_release(&present);
	if (ck->b.len > 65536)
		out_buf(&ck->b);
	return 0;
}

static char *
default_catalogue(void)
{
	return dg_path_join(dg_datadir(), "doctypes/power-supply");
}

static int
dossier_check(struct dg_catalog *c, int argc, char **argv, const char *business, const char *catalogue)
{
	struct dg_scope scope;
	struct check ck = {0};
	struct dg_err err = {0};
	char *schema = dg_path_join(dg_datadir(), "doctype.rng");
	char *defcat = NULL;
	int r = EX_STORE, i, unknown = 0;

	dg_scope_init(&scope);
	dg_buf_init(&ck.b, 0);
	if (!catalogue)
		catalogue = defcat = default_catalogue();
	if (!schema || !catalogue) {
		errmsg("out of memory");
		goto out;
	}
	if (dg_scope_load(&scope, catalogue, schema, &err) < 0) {
		errmsg("%s", err.msg);
		goto out;
	}
	if (scope.nbiz == 0) {
		errmsg("the catalogue %s defines no filing scope (<scope business=\"...\">)", catalogue);
		goto out;
	}
	if (business && !dg_scope_find(&scope, business)) {
		struct dg_buf known;
		size_t k;
		dg_buf_init(&known, 1 << 16);
		for (k = 0; k < scope.nbiz; k++)
			dg_buf_addf(&known, "%s%s", k ? ", " : "", scope.biz[k].business);
		errmsg("no filing scope for business type '%s' in %s (it has: %s)", business, catalogue,
		       known.data ? known.data : "");
		dg_buf_release(&known);
		r = EX_USAGE;
		goto out;
	}
	ck.scope = &scope;
	ck.business = business;
	ck.catalogue = catalogue;
	ck.c = c;
	if (argc == 0) {
		if (dg_catalog_dossiers(c, NULL, check_one, &ck) < 0)
			goto out;
	}
	for (i = 0; i < argc; i++) {
		int n = dg_catalog_dossiers(c, argv[i], check_one, &ck);
		if (n < 0)
			goto out;
		if (n == 0) {
			errmsg("no dossier for 户号 %s", argv[i]);
			unknown++;
		}
	}
	if (g.json)
		dg_buf_adds(&ck.b, ck.n ? "\n]\n" : "[]\n");
	else
		dg_buf_addf(&ck.b, "%lld dossier%s checked, %lld incomplete\n", (long long)ck.checked,
		            ck.checked == 1 ? "" : "s", (long long)ck.incomplete);
	out_buf(&ck.b);
	r = ck.incomplete || unknown ? EX_PROBLEMS : EX_OK;
out:
	dg_scope_release(&scope);
	dg_buf_release(&ck.b);
	dg_free(schema);
	dg_free(defcat);
	return r;
}

static int
cmd_dossier(int argc, char **argv)
{
	static const struct option lo[] = {{"json", no_argument, NULL, 'J'},
	                                   {"business", required_argument, NULL, 'b'},
	                                   {"catalogue", required_argument, NULL, 'C'},
	                                   {NULL, 0, NULL, 0}};
	struct dg_store *s;
	struct dg_catalog *c;
	const char *sub, *business = NULL, *catalogue = NULL;
	int ch, r;

	if (argc < 2)
		die_usage("usage: dangan dossier ls | show 户号 | check [户号...]");
	sub = argv[1];
	optind = 0; /* re-initialise getopt: options may follow the arguments */
	while ((ch = getopt_long(argc - 1, argv + 1, "", lo, NULL)) != -1) {
		if (ch == 'J')
			g.json = 1;
		else if (ch == 'b')
			business = optarg;
		else if (ch == 'C')
			catalogue = optarg;
		else
			exit(EX_USAGE);
	}
	if ((business || catalogue) && strcmp(sub, "check") != 0)
		die_usage("--business and --catalogue are options of 'dossier check'");
	/* argv + 1 + optind: the arguments after the subcommand */
	if (strcmp(sub, "ls") == 0) {
		struct rowctx rc = {0};
		if (optind < argc - 1)
			die_usage("dossier ls takes no arguments");
		if ((r = open_read(&s, &c)) != EX_OK)
			return r;
		stale_hint(c);
		dg_buf_init(&rc.b, 0);
		r = dg_catalog_dossiers(c, NULL, dossier_ls_row, &rc) < 0 ? EX_STORE : EX_OK;
		if (g.json)
			dg_buf_adds(&rc.b, rc.n ? "\n]\n" : "[]\n");
		else if (!rc.n)
			dg_buf_adds(&rc.b, "no dossiers (no document has a 户号)\n");
		out_buf(&rc.b);
		dg_buf_release(&rc.b);
	} else if (strcmp(sub, "show") == 0) {
		if (optind != argc - 2)
			die_usage("dossier show needs one 户号");
		if ((r = open_read(&s, &c)) != EX_OK)
			return r;
		stale_hint(c);
		r = dossier_show(c, argv[1 + optind]);
	} else if (strcmp(sub, "check") == 0) {
		if ((r = open_read(&s, &c)) != EX_OK)
			return r;
		stale_hint(c);
		r = dossier_check(c, argc - 1 - optind, argv + 1 + optind, business, catalogue);
	} else {
		die_usage("dossier: unknown subcommand '%s' (ls, show, check)", sub);
		return EX_USAGE;
	}
	close_read(s, c);
	return r;
}

/* ---- plugins, config --------------------------------------------------- */

struct plctx {
	struct dg_buf b;
	int n, bad;
};

static void
plugin_row(void *ctx, const char *path, const struct dg_module *m, const char *error)
{
	struct plctx *p = ctx;

	if (!m) {
		p->bad++;
		errmsg("%s", error);
		return;
	}
	if (g.json) {
		dg_buf_adds(&p->b, p->n ? ",\n {\"name\":" : "[\n {\"name\":");
		dg_buf_json_str(&p->b, m->desc->name);
		dg_buf_adds(&p->b, ",\"version\":");
		dg_buf_json_str(&p->b, m->desc->version);
		dg_buf_addf(
		    &p->b, ",\"kind\":\"%s\",\"abi\":\"%u.%u\",\"shared\":%s,\"path\":", dg_kind_name(m->desc->kind),
		    m->desc->abi_major, m->desc->abi_minor, (m->desc->flags & DG_PLUGIN_SHARED) ? "true" : "false");
		dg_buf_json_str(&p->b, path);
		dg_buf_adds(&p->b, ",\"summary\":");
		dg_buf_json_str(&p->b, m->desc->summary);
		dg_buf_adds(&p->b, "}");
	} else {
		dg_buf_addf(&p->b, "%-12s %-9s %-10s %s\n", m->desc->name, m->desc->version ? m->desc->version : "?",
		            dg_kind_name(m->desc->kind), m->desc->summary ? m->desc->summary : "");
	}
	p->n++;
}

static const char *
opt_type_name(enum dg_opt_type t)
{
	switch (t) {
	case DG_OPT_STRING: return "string";
	case DG_OPT_INT: return "integer";
	case DG_OPT_BOOL: return "boolean";
	case DG_OPT_SIZE: return "size";
	}
	return "?";
}

static int
cmd_plugins(int argc, char **argv)
{
	struct dg_registry *reg = dg_registry_new(g.plugin_path);
	const char *sub = argc > 1 ? argv[1] : "ls";
	int i, rc = EX_OK;

	if (!reg)
		return EX_FATAL;
	if (strcmp(sub, "ls") == 0) {
		struct plctx p = {0};
		for (i = 2; i < argc; i++) {
			if (strcmp(argv[i], "--json") == 0)
				g.json = 1;
			else
				die_usage("plugins ls: unknown argument '%s'", argv[i]);
		}
		dg_buf_init(&p.b, 0);
		dg_registry_load_all(reg, plugin_row, &p);
		if (g.json)
			dg_buf_adds(&p.b, p.n ? "\n]\n" : "[]\n");
		else if (!p.n)
			dg_buf_addf(&p.b, "no plugins in %s\n", dg_registry_path(reg));
		out_buf(&p.b);
		dg_buf_release(&p.b);
		rc = p.bad ? EX_PROBLEMS : EX_OK;
	} else if (strcmp(sub, "show") == 0) {
		struct dg_err err = {0};
		const struct dg_module *m;
		const struct dg_option *o;
		if (argc != 3)
			die_usage("plugins show needs a plugin NAME");
		m = dg_registry_get(reg, argv[2], &err);
		if (!m) {
			errmsg("%s", err.msg);
			rc = EX_PROBLEMS;
			goto out;
		}
		printf("%s %s (%s plugin, ABI %u.%u, %s)\n  %s\n  %s\n", m->desc->name, m->desc->version,
		       dg_kind_name(m->desc->kind), m->desc->abi_major, m->desc->abi_minor,
		       (m->desc->flags & DG_PLUGIN_SHARED) ? "one instance shared by all workers"
		                                           : "one instance per worker",
		       m->desc->summary ? m->desc->summary : "", m->path);
		printf("options:%s\n", m->desc->options && m->desc->options[0].name ? "" : " none");
		for (o = m->desc->options; o && o->name; o++) {
			printf("  %-16s %-8s default %s", o->name, opt_type_name(o->type),
			       o->default_value ? o->default_value : "(none)");
			if (o->min || o->max)
				printf(", range %lld..%lld", (long long)o->min, (long long)o->max);
			printf("\n      %s\n", o->help ? o->help : "");
		}
	} else {
		die_usage("plugins: unknown subcommand '%s' (ls, show)", sub);
	}
out:
	dg_registry_free(reg);
	return rc;
}

static int
cmd_config(int argc, char **argv)
{
	struct dg_registry *reg;
	struct dg_config *cfg = NULL;
	struct dg_err err = {0};
	char *path;
	size_t i;
	int rc;

	if (argc < 2 || strcmp(argv[1], "check") != 0 || argc > 3)
		die_usage("usage: dangan config check [FILE]");
	path = argc == 3 ? dg_strdup(argv[2]) : dg_engine_config_path(g.store, g.config);
	reg = dg_registry_new(g.plugin_path);
	if (!path || !reg) {
		dg_free(path);
		dg_registry_free(reg);
		return EX_FATAL;
	}
	if (dg_config_load(&cfg, path, reg, &err) < 0) {
		fprintf(stderr, "%s\n", err.msg);
		rc = EX_STORE;
	} else {
		printf("%s: valid; %zu pipeline%s:", path, cfg->npipelines, cfg->npipelines == 1 ? "" : "s");
		for (i = 0; i < cfg->npipelines; i++)
			printf(" %s (%zu stages)", cfg->pipelines[i].name, cfg->pipelines[i].nstages);
		printf("\n");
		rc = EX_OK;
	}
	dg_config_free(cfg);
	dg_registry_free(reg);
	dg_free(path);
	return rc;
}

/* ---- export, verify-package, import -------------------------------------- */

static const char *const level_names[] = {"PASS", "INFO", "WARN", "ERROR"};

struct findings {
	struct dg_buf b; /* JSON array items */
	int64_t n, errors, warnings;
	int print; /* print as text on stdout */
	int quiet_pass, quiet_info;
};

static void
finding_out(void *arg, enum dg_finding_level level, const char *code, const char *where, const char *msg)
{
	struct findings *f = arg;

	if (level == DG_FINDING_ERROR)
		f->errors++;
	if (level == DG_FINDING_WARN)
		f->warnings++;
	if ((level == DG_FINDING_PASS && f->quiet_pass) || (level == DG_FINDING_INFO && f->quiet_info))
		return;
	if (g.json) {
		if (f->n < 100000) {
			dg_buf_adds(&f->b, f->n ? ",\n  {\"level\":" : "\n  {\"level\":");
			dg_buf_json_str(&f->b, level_names[level]);
			dg_buf_adds(&f->b, ",\"code\":");
			dg_buf_json_str(&f->b, code);
			dg_buf_adds(&f->b, ",\"where\":");
			dg_buf_json_str(&f->b, where);
			dg_buf_adds(&f->b, ",\"message\":");
			dg_buf_json_str(&f->b, msg);
			dg_buf_adds(&f->b, "}");
		}
	} else if (f->print) {
		printf("%s %s%s%s%s%s\n", level_names[level], code ? code : "", code ? " " : "", where ? where : "",
		       where ? ": " : "", msg);
	}
	f->n++;
}

static const char *package_options[64];
static size_t npackage_options;

static void
add_package_option(const char *arg)
{
	if (!strchr(arg, '=') || arg[0] == '=')
		die_usage("-O takes OPTION=VALUE (see 'dangan plugins show FORMAT')");
	if (npackage_options == sizeof(package_options) / sizeof(package_options[0]))
		die_usage("too many -O options");
	package_options[npackage_options++] = arg;
}

static int
cmd_export(int argc, char **argv)
{
	static const struct option lo[] = {
	    {"format", required_argument, NULL, 'f'}, {"output", required_argument, NULL, 'o'},
	    {"query", required_argument, NULL, 'Q'},  {"option", required_argument, NULL, 'O'},
	    {"report", required_argument, NULL, 'r'}, {"danghao-pattern", required_argument, NULL, 'D'},
	    {"no-verify", no_argument, NULL, 'N'},    {"jobs", required_argument, NULL, 'j'},
	    {"json", no_argument, NULL, 'J'},         {NULL, 0, NULL, 0}};
	struct dg_export_opts o;
	struct dg_export_stats st;
	struct findings f;
	struct dg_store *s = NULL;
	struct dg_catalog *cat = NULL;
	char err[DG_ERR_MAX + 256] = "";
	char(*ids)[65] = NULL;
	const char **idp = NULL;
	int c, rc, i, n;

	memset(&o, 0, sizeof(o));
	memset(&f, 0, sizeof(f));
	o.verify = 1;
	optind = 0;
	while ((c = getopt_long(argc, argv, "f:o:Q:O:r:D:Nj:J", lo, NULL)) != -1) {
		switch (c) {
		case 'f': o.format = optarg; break;
		case 'o': o.output = optarg; break;
		case 'Q': o.query = optarg; break;
		case 'O': add_package_option(optarg); break;
		case 'r': o.report = optarg; break;
		case 'D': o.danghao_pattern = optarg; break;
		case 'N': o.verify = 0; break;
		case 'j': {
			int64_t v;
			if (dg_parse_i64(optarg, &v) < 0 || v < 1 || v > 256)
				die_usage("-j takes a number of documents packaged at once, from 1 to 256");
			o.jobs = (int)v;
			break;
		}
		case 'J': g.json = 1; break;
		default: exit(EX_USAGE);
		}
	}
	if (!o.format)
		die_usage("export needs --format (eep, carrier, bagit, ocfl, eark; see 'dangan plugins ls')");
	if (!o.output)
		die_usage("export needs -o PATH");
	if (o.query && optind < argc)
		die_usage("export takes --query or IDs, not both");
	rc = open_read(&s, &cat);
	if (rc)
		return rc;
	n = argc - optind;
	if (n > 0) {
		ids = dg_calloc((size_t)n, sizeof(*ids));
		idp = dg_calloc((size_t)n, sizeof(*idp));
		if (!ids || !idp) {
			rc = EX_FATAL;
			goto out;
		}
		for (i = 0; i < n; i++) {
			if (resolve_id(s, cat, argv[optind + i], ids[i]) < 0) {
				rc = EX_USAGE;
				goto out;
			}
			idp[i] = ids[i];
		}
	}
	o.ids = idp;
	o.nids = (size_t)n;
	o.options = package_options;
	o.noptions = npackage_options;
	o.plugin_path = g.plugin_path;
	o.progress = g.verbosity > 0;
	o.verbosity = g.verbosity;
	dg_buf_init(&f.b, 0);
	f.print = 1;
	f.quiet_pass = 1;
	f.quiet_info = g.verbosity < 2;
	o.findings.fn = finding_out;
	o.findings.arg = &f;
	rc = dg_export_run(s, cat, &o, &st, err, sizeof(err));
	if (rc == 0 || rc == 1) {
		if (g.json) {
			printf("{\"format\":");
			fflush(stdout);
			{
				struct dg_buf b;
				dg_buf_init(&b, 0);
				dg_buf_json_str(&b, o.format);
				dg_buf_adds(&b, ",\"output\":");
				dg_buf_json_str(&b, o.output);
				dg_buf_addf(&b, ",\"documents\":%lld,\"bytes\":%lld,\"seconds\":%.3f,\"verified\":%s,",
				            (long long)st.docs, (long long)st.bytes, st.seconds,
				            st.verified ? "true" : "false");
				dg_buf_addf(&b, "\"valid\":%s,\"checks\":{\"failed\":%d,\"warned\":%d,\"report\":",
				            st.errors ? "false" : "true", st.checks_failed, st.checks_warned);
				dg_buf_json_str(&b, st.report[0] ? st.report : NULL);
				dg_buf_adds(&b, "},\"findings\":[");
				out_buf(&b);
				dg_buf_release(&b);
			}
			out_buf(&f.b);
			printf("\n]}\n");
		} else if (g.verbosity > 0) {
			char sz[32];
			dg_human_size((double)st.bytes, sz, sizeof(sz));
			fprintf(stderr, "export: %lld documents, %s to %s in %.1f s%s\n", (long long)st.docs, sz,
			        o.output, st.seconds,
			        st.verified ? (st.errors ? "; the package check FAILED" : "; package checked") : "");
			if (st.report[0])
				fprintf(stderr, "four-property checks: %s (%s.xml, %s.txt)\n",
				        st.checks_failed ? "FAILED"
				                         : (st.checks_warned ? "passed with warnings" : "passed"),
				        st.report, st.report);
		}
	}
	if (err[0])
		errmsg("%s", err);
out:
	dg_buf_release(&f.b);
	dg_free(ids);
	dg_free(idp);
	close_read(s, cat);
	return rc;
}

static int
verify_package(const char *format, int argc, char **argv)
{
	static const struct option lo[] = {{"format", required_argument, NULL, 'f'},
	                                   {"option", required_argument, NULL, 'O'},
	                                   {"json", no_argument, NULL, 'J'},
	                                   {NULL, 0, NULL, 0}};
	struct findings f;
	struct dg_finding_cb cb;
	char err[DG_ERR_MAX + 256] = "";
	int c, rc = EX_OK, i;

	optind = 0;
	/* verify-bag and the others have their format: no --format for them */
	while ((c = getopt_long(argc, argv, format ? "O:J" : "f:O:J", format ? lo + 1 : lo, NULL)) != -1) {
		switch (c) {
		case 'f': format = optarg; break;
		case 'O': add_package_option(optarg); break;
		case 'J': g.json = 1; break;
		default: exit(EX_USAGE);
		}
	}
	if (!format)
		die_usage("verify-package needs --format NAME");
	if (optind >= argc)
		die_usage("%s needs a PATH", argv[0]);
	if (g.json)
		printf("[");
	for (i = optind; i < argc; i++) {
		int r;
		memset(&f, 0, sizeof(f));
		dg_buf_init(&f.b, 0);
		f.print = 1;
		f.quiet_pass = g.verbosity < 2;
		cb.fn = finding_out;
		cb.arg = &f;
		err[0] = '\0';
		r = dg_verify_package(g.plugin_path, format, argv[i], package_options, npackage_options, g.verbosity,
		                      &cb, err, sizeof(err));
		if (r == 3) {
			errmsg("%s", err);
			dg_buf_release(&f.b);
			if (g.json)
				printf("]\n");
			return EX_STORE;
		}
		if (g.json) {
			struct dg_buf b;
			dg_buf_init(&b, 0);
			dg_buf_adds(&b, i > optind ? ",\n{\"path\":" : "\n{\"path\":");
			dg_buf_json_str(&b, argv[i]);
			dg_buf_adds(&b, ",\"format\":");
			dg_buf_json_str(&b, format);
			dg_buf_addf(&b, ",\"valid\":%s,\"errors\":%lld,\"warnings\":%lld,\"findings\":[",
			            r == 0 ? "true" : "false", (long long)f.errors, (long long)f.warnings);
			out_buf(&b);
			dg_buf_release(&b);
			out_buf(&f.b);
			printf("]}");
		} else if (g.verbosity > 0) {
			fprintf(stderr, "%s: %s (%lld errors, %lld warnings)\n", argv[i],
			        r == 0 ? "valid" : "NOT valid", (long long)f.errors, (long long)f.warnings);
		}
		if (r != 0)
			rc = EX_PROBLEMS;
		dg_buf_release(&f.b);
	}
	if (g.json)
		printf("\n]\n");
	return rc;
}

static int
cmd_verify_package(int argc, char **argv)
{
	return verify_package(NULL, argc, argv);
}

static int
cmd_verify_bag(int argc, char **argv)
{
	return verify_package("bagit", argc, argv);
}

static int
cmd_verify_ocfl(int argc, char **argv)
{
	return verify_package("ocfl", argc, argv);
}

static int
cmd_verify_eep(int argc, char **argv)
{
	return verify_package("eep", argc, argv);
}

static int
cmd_verify_eark(int argc, char **argv)
{
	return verify_package("eark", argc, argv);
}

/* Import: the packages are checked with their format's verify(), read
 * back through its importer like any ingest, and the documents that
 * came in are checked (the four properties on receipt). */
struct imported {
	char (*hex)[65];
	size_t n, cap;
	void (*next)(void *ctx, const struct dg_doc_report *r);
};

static struct imported imp;

static void
import_on_doc(void *ctx, const struct dg_doc_report *r)
{
	if (r->id && r->depth == 0 && strcmp(r->outcome, "quarantined") != 0 && strncmp(r->id, "sha256:", 7) == 0) {
		if (imp.n == imp.cap) {
			size_t cap = imp.cap ? imp.cap * 2 : 64;
			void *p = dg_realloc(imp.hex, cap * sizeof(*imp.hex));
			if (p) {
				imp.hex = p;
				imp.cap = cap;
			}
		}
		if (imp.n < imp.cap)
			snprintf(imp.hex[imp.n++], 65, "%s", r->id + 7);
	}
	if (imp.next)
		imp.next(ctx, r);
}

static void
import_finding(void *arg, enum dg_finding_level level, const char *code, const char *where, const char *msg)
{
	struct dg_fourcheck *fc = arg;

	dg_fourcheck_package_finding(fc, level, code, where, msg);
	if (level >= DG_FINDING_WARN && level <= DG_FINDING_ERROR)
		fprintf(stderr, "dangan: %s %s%s%s%s%s\n", level_names[level], code ? code : "", code ? " " : "",
		        where ? where : "", where ? ": " : "", msg);
}

static int
cmd_import(int argc, char **argv)
{
	static const struct option lo[] = {
	    {"format", required_argument, NULL, 'f'}, {"pipeline", required_argument, NULL, 'p'},
	    {"jobs", required_argument, NULL, 'j'},   {"report", required_argument, NULL, 'r'},
	    {"json", no_argument, NULL, 'J'},         {NULL, 0, NULL, 0}};
	const char *format = NULL, *pipeline = NULL, *report = NULL;
	char *fmt = NULL, *base = NULL, when[32];
	struct dg_engine_opts o = DG_ENGINE_OPTS_INIT;
	struct dg_engine *e = NULL;
	struct dg_ingest_stats st;
	struct dg_fourcheck *fc = NULL;
	struct dg_finding_cb cb;
	struct dg_err derr = {0};
	char err[DG_ERR_MAX + 256] = "";
	int c, rc, jobs = 0, i, checked = 0;
	size_t k;

	optind = 0;
	while ((c = getopt_long(argc, argv, "f:p:j:r:J", lo, NULL)) != -1) {
		switch (c) {
		case 'f': format = optarg; break;
		case 'p': pipeline = optarg; break;
		case 'r': report = optarg; break;
		case 'j': {
			int64_t v;
			if (dg_parse_i64(optarg, &v) < 0 || v < 1 || v > 256)
				die_usage("-j takes a number of workers from 1 to 256");
			jobs = (int)v;
			break;
		}
		case 'J': g.json = 1; break;
		default: exit(EX_USAGE);
		}
	}
	if (optind >= argc)
		die_usage("import needs at least one PATH (a package)");
	fmt = format ? dg_strdup(format) : dg_import_format(g.plugin_path, argv[optind]);
	if (!fmt) {
		errmsg("%s: no export format reads it back (try --format)", argv[optind]);
		return EX_USAGE;
	}
	fc = dg_fourcheck_new("YJ", fmt, argv[optind]);
	if (!fc) {
		rc = EX_FATAL;
		goto out;
	}
	/* the packages as received */
	cb.fn = import_finding;
	cb.arg = fc;
	for (i = optind; i < argc; i++) {
		int r = dg_verify_package(g.plugin_path, fmt, argv[i], NULL, 0, g.verbosity, &cb, err, sizeof(err));
		if (r == 3) {
			if (i == optind && format) {
				errmsg("%s", err);
				rc = EX_STORE;
				goto out;
			}
			break; /* the format has no verify(): the importer checks */
		}
		checked = 1;
	}
	err[0] = '\0';
	o.store = g.store;
	o.config = g.config;
	o.plugin_path = g.plugin_path;
	o.pipeline = pipeline;
	o.jobs = jobs;
	o.create = 1;
	o.verbosity = g.verbosity;
	o.progress = isatty(STDERR_FILENO) && g.verbosity > 0;
	o.import = 1;
	o.import_format = fmt;
	imp.next = g.json ? on_doc_json : (g.verbosity > 1 ? on_doc_text : NULL);
	o.on_doc = import_on_doc;
	rc = dg_engine_open(&e, &o, err, sizeof(err));
	if (rc) {
		errmsg("%s", err);
		goto out;
	}
	rc = dg_engine_ingest(e, (const char *const *)argv + optind, (size_t)(argc - optind), &st, err, sizeof(err));
	dg_engine_close(e);
	if (g.verbosity > 0 || g.json)
		print_stats(&st, "import");
	if (err[0])
		errmsg("%s", err);
	/* the documents as received */
	{
		struct dg_store *s = NULL;
		struct dg_catalog *cat = NULL;
		if (open_read(&s, &cat) == EX_OK) {
			for (k = 0; k < imp.n; k++) {
				char man[65];
				struct dg_doc *d;
				if (dg_store_ref_get(s, imp.hex[k], man) != 1)
					continue;
				d = dg_stored_doc_load(s, man, &derr);
				if (d) {
					dg_fourcheck_doc(fc, d);
					dg_stored_doc_free(d);
				}
			}
			close_read(s, cat);
		}
	}
	dg_fourcheck_package_done(fc, checked, (int64_t)imp.n, (int64_t)imp.n);
	if (report) {
		base = dg_strdup(report);
	} else {
		char *dir = dg_asprintf("%s/reports", g.store);
		dg_iso8601(dg_now_us() / 1000000, when, sizeof(when));
		if (dir && dg_mkdirs(dir, 0755) == 0)
			base = dg_asprintf("%s/import-%s.check", dir, when);
		dg_free(dir);
	}
	if (!base || dg_fourcheck_write(fc, base, &derr) < 0) {
		errmsg("%s", derr.msg[0] ? derr.msg : "cannot write the four-property report");
		if (!rc)
			rc = EX_PROBLEMS;
	} else if (g.verbosity > 0 && !g.json) {
		fprintf(stderr, "four-property checks on receipt: %s (%s.xml, %s.txt)\n",
		        dg_fourcheck_failed(fc) ? "FAILED"
		                                : (dg_fourcheck_warned(fc) ? "passed with warnings" : "passed"),
		        base, base);
	}
	if (!rc && dg_fourcheck_failed(fc))
		rc = EX_PROBLEMS;
out:
	dg_fourcheck_free(fc);
	dg_free(fmt);
	dg_free(base);
	dg_free(imp.hex);
	memset(&imp, 0, sizeof(imp));
	return rc;
}

/* ---- set, train -------------------------------------------------------------- */

static int
open_write(struct dg_store **s, struct dg_catalog **c)
{
	struct dg_err err = {0};
	char *cat;

	*c = NULL;
	if (dg_store_open(s, g.store, DG_STORE_WRITE, &err) < 0) {
		errmsg("%s", err.msg);
		return EX_STORE;
	}
	cat = dg_path_join(dg_store_root(*s), "catalog.db");
	if (!cat || dg_catalog_open(c, cat, &err) < 0 || dg_engine_recover(*s, *c, &err) < 0) {
		errmsg("%s", err.msg[0] ? err.msg : "cannot open the catalog");
		dg_free(cat);
		dg_catalog_free(*c);
		dg_store_free(*s);
		*s = NULL;
		*c = NULL;
		return EX_STORE;
	}
	dg_free(cat);
	return EX_OK;
}

/* A person's correction: KEY=VALUE pairs (KEY= removes the key) made a
 * new version.  doctype=CODE is a person's classification: it sets
 * doctype.method=person and doctype.confidence=1.00, and drops what the
 * classifier derived from its own guess (doctype.name, .category and
 * .candidates, unless given too, and an "uncertain classification" or
 * "no document type recognised" review.reason); type=CODE is the same. */
static int
cmd_set(int argc, char **argv)
{
	static const struct option lo[] = {
	    {"by", required_argument, NULL, 'b'}, {"json", no_argument, NULL, 'J'}, {NULL, 0, NULL, 0}};
	struct dg_edit *ed = NULL;
	struct dg_store *s = NULL;
	struct dg_catalog *c = NULL;
	struct dg_record cur;
	struct dg_err err = {0};
	const char *by = getenv("USER");
	char hex[65], man[65], newm[65];
	size_t n = 0, cap, i;
	int ch, rc, doctype = 0;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		if (ch == 'b')
			by = optarg;
		else if (ch == 'J')
			g.json = 1;
		else
			exit(EX_USAGE);
	}
	if (argc - optind < 2)
		die_usage("set needs a document ID and at least one KEY=VALUE");
	cap = (size_t)(argc - optind) + 8;
	ed = dg_calloc(cap, sizeof(*ed));
	if (!ed)
		return EX_FATAL;
	for (i = (size_t)optind + 1; i < (size_t)argc; i++) {
		char *eq = strchr(argv[i], '=');
		if (!eq || eq == argv[i])
			die_usage("set takes KEY=VALUE (KEY= removes the key), not '%s'", argv[i]);
		*eq = '\0';
		ed[n].key = argv[i];
		ed[n].value = eq[1] ? eq + 1 : NULL;
		if (dg_edit_check(ed[n].key, ed[n].value, &err) < 0)
			die_usage("%s", err.msg);
		if (strcmp(ed[n].key, "type") == 0) /* the word an archivist uses */
			ed[n].key = "doctype";
		if (strcmp(ed[n].key, "doctype") == 0)
			doctype = 1;
		n++;
	}
	if ((rc = open_write(&s, &c)) != EX_OK) {
		dg_free(ed);
		return rc;
	}
	dg_record_init(&cur);
	rc = EX_PROBLEMS;
	if (resolve_id(s, c, argv[optind], hex) < 0)
		goto out;
	if (dg_store_ref_get(s, hex, man) != 1 || dg_store_read_manifest(s, man, &cur, &err) < 0) {
		errmsg("cannot read document %s: %s", hex, err.msg);
		goto out;
	}
	if (doctype) {
		const char *code = NULL, *derived[] = {"doctype.name", "doctype.category", "doctype.candidates"};
		const char *review = dg_record_meta(&cur, "review.reason");
		for (i = 0; i < n; i++)
			if (strcmp(ed[i].key, "doctype") == 0)
				code = ed[i].value;
		ed[n++] = (struct dg_edit){"doctype.method", code ? "person" : NULL};
		ed[n++] = (struct dg_edit){"doctype.confidence", code ? "1.00" : NULL};
		if (!code || !dg_record_meta(&cur, "doctype") || strcmp(dg_record_meta(&cur, "doctype"), code) != 0)
			for (size_t d = 0; d < sizeof(derived) / sizeof(derived[0]); d++) {
				int given = 0;
				for (i = 0; i < n; i++)
					given |= strcmp(ed[i].key, derived[d]) == 0;
				if (!given)
					ed[n++] = (struct dg_edit){derived[d], NULL};
			}
		if (review && (strncmp(review, "classification uncertain", 24) == 0 ||
		               strncmp(review, "no document type recognised", 27) == 0))
			ed[n++] = (struct dg_edit){"review.reason", NULL};
	}
	switch (dg_edit_commit(s, c, hex, ed, n, by, newm, &err)) {
	case 0:
		if (g.json)
			printf("{\"id\":\"sha256:%s\",\"manifest\":\"sha256:%s\",\"parent\":\"sha256:%s\",\"changed\":"
			       "true}\n",
			       hex, newm, man);
		else if (g.verbosity > 0)
			printf("sha256:%.16s: new version sha256:%.16s (the previous one stays)\n", hex, newm);
		rc = EX_OK;
		break;
	case 1:
		if (g.json)
			printf("{\"id\":\"sha256:%s\",\"manifest\":\"sha256:%s\",\"changed\":false}\n", hex, man);
		else if (g.verbosity > 0)
			printf("sha256:%.16s: nothing changes, no new version\n", hex);
		rc = EX_OK;
		break;
	default: errmsg("%s", err.msg); rc = err.code == DG_FATAL ? EX_FATAL : EX_STORE;
	}
out:
	dg_record_release(&cur);
	dg_free(ed);
	dg_catalog_free(c);
	dg_store_free(s);
	return rc;
}

static void
train_report(const struct dg_train_result *r, const struct dg_train_opts *o)
{
	struct dg_buf b;
	size_t i, k;

	dg_buf_init(&b, 0);
	if (g.json) {
		dg_buf_addf(&b, "{\"model\":\"sha256:%s\",\"previous\":", r->model);
		if (r->previous[0])
			dg_buf_addf(&b, "\"sha256:%s\"", r->previous);
		else
			dg_buf_adds(&b, "null");
		dg_buf_addf(&b, ",\"size\":%lld,\"documents\":%lld,\"catalogue\":", (long long)r->model_size,
		            (long long)r->documents);
		dg_buf_json_str(&b, o->catalogue);
		dg_buf_adds(&b, ",\"types\":[");
		for (i = 0; i < r->nlabels; i++) {
			dg_buf_adds(&b, i ? "," : "");
			dg_buf_json_str(&b, r->labels[i]);
		}
		dg_buf_adds(&b, "]");
		if (r->evaluated) {
			dg_buf_addf(
			    &b,
			    ",\"evaluation\":{\"method\":\"%s\",\"folds\":%d,\"test_split\":%.3f,\"evaluated\":%lld,"
			    "\"correct\":%lld,\"accuracy\":%.4f,\"macro_f1\":%.4f,\"per_type\":{",
			    o->folds > 1 ? "cross-validation" : "test-split", o->folds > 1 ? o->folds : 0,
			    o->folds > 1 ? 0.0 : o->test_split, (long long)r->evaluated, (long long)r->correct,
			    r->accuracy, r->macro_f1);
			for (i = 0; i < r->nlabels; i++) {
				int64_t sup;
				double f1 = dg_train_f1(r, i, &sup);
				dg_buf_adds(&b, i ? "," : "");
				dg_buf_json_str(&b, r->labels[i]);
				dg_buf_addf(&b, ":{\"f1\":%.4f,\"support\":%lld}", f1, (long long)sup);
			}
			dg_buf_adds(&b, "},\"confusion\":{");
			for (i = 0; i < r->nlabels; i++) {
				dg_buf_adds(&b, i ? "," : "");
				dg_buf_json_str(&b, r->labels[i]);
				dg_buf_adds(&b, ":{");
				for (k = 0; k < r->nlabels; k++) {
					dg_buf_adds(&b, k ? "," : "");
					dg_buf_json_str(&b, r->labels[k]);
					dg_buf_addf(&b, ":%lld", (long long)r->confusion[i * r->nlabels + k]);
				}
				dg_buf_adds(&b, "}");
			}
			dg_buf_adds(&b, "}}");
		}
		dg_buf_adds(&b, "}\n");
	} else {
		dg_buf_addf(&b, "model sha256:%s (%lld bytes): %lld documents, %zu types\n", r->model,
		            (long long)r->model_size, (long long)r->documents, r->nlabels);
		if (r->previous[0])
			dg_buf_addf(&b, "replaces sha256:%s (kept in the store)\n", r->previous);
		if (r->evaluated) {
			if (o->folds > 1)
				dg_buf_addf(&b, "%d-fold cross-validation", o->folds);
			else
				dg_buf_addf(&b, "held-out test (%.0f %%)", o->test_split * 100);
			dg_buf_addf(&b, ": %lld documents, accuracy %.1f %%, macro-F1 %.3f\n", (long long)r->evaluated,
			            r->accuracy * 100, r->macro_f1);
			dg_buf_adds(&b, "confusion (rows: true type, columns: predicted):\n");
			dg_buf_addf(&b, "  %-16s", "");
			for (k = 0; k < r->nlabels; k++)
				dg_buf_addf(&b, " %8.8s", r->labels[k]);
			dg_buf_addf(&b, " %8s\n", "F1");
			for (i = 0; i < r->nlabels; i++) {
				dg_buf_addf(&b, "  %-16.16s", r->labels[i]);
				for (k = 0; k < r->nlabels; k++)
					dg_buf_addf(&b, " %8lld", (long long)r->confusion[i * r->nlabels + k]);
				dg_buf_addf(&b, " %8.3f\n", dg_train_f1(r, i, NULL));
			}
		}
	}
	out_buf(&b);
	dg_buf_release(&b);
}

static int
cmd_train(int argc, char **argv)
{
	static const struct option lo[] = {{"catalogue", required_argument, NULL, 'C'},
	                                   {"folds", required_argument, NULL, 'k'},
	                                   {"test-split", required_argument, NULL, 't'},
	                                   {"min-confidence", required_argument, NULL, 'm'},
	                                   {"any", no_argument, NULL, 'a'},
	                                   {"plugin", required_argument, NULL, 'p'},
	                                   {"option", required_argument, NULL, 'O'},
	                                   {"json", no_argument, NULL, 'J'},
	                                   {NULL, 0, NULL, 0}};
	struct dg_train_opts o;
	struct dg_train_result r;
	struct dg_store *s = NULL;
	struct dg_catalog *c = NULL;
	char err[DG_ERR_MAX + 256] = "";
	int ch, rc;

	memset(&o, 0, sizeof(o));
	o.min_confidence = 0.9;
	optind = 0;
	while ((ch = getopt_long(argc, argv, "O:", lo, NULL)) != -1) {
		switch (ch) {
		case 'C': o.catalogue = optarg; break;
		case 'k': {
			int64_t v;
			if (dg_parse_i64(optarg, &v) < 0 || v < 2 || v > 100)
				die_usage("--folds takes a number from 2 to 100");
			o.folds = (int)v;
			break;
		}
		case 't':
		case 'm': {
			char *end = NULL;
			double v = strtod(optarg, &end);
			if (end == optarg || *end || !(v > 0 && v < 1) || (ch == 'm' && !(v <= 1)))
				die_usage("--%s takes a fraction between 0 and 1",
				          ch == 't' ? "test-split" : "min-confidence");
			if (ch == 't')
				o.test_split = v;
			else
				o.min_confidence = v;
			break;
		}
		case 'a': o.any_labelled = 1; break;
		case 'p': o.plugin = optarg; break;
		case 'O': add_package_option(optarg); break;
		case 'J': g.json = 1; break;
		default: exit(EX_USAGE);
		}
	}
	if (optind < argc)
		die_usage("train takes no arguments");
	if (o.folds && o.test_split)
		die_usage("train takes --folds or --test-split, not both");
	o.options = package_options;
	o.noptions = npackage_options;
	o.plugin_path = g.plugin_path;
	o.verbosity = g.verbosity;
	if ((rc = open_write(&s, &c)) != EX_OK)
		return rc;
	rc = dg_train_run(s, c, &o, &r, err, sizeof(err));
	if (rc == 0)
		train_report(&r, &o);
	if (err[0])
		errmsg("%s", err);
	dg_train_result_release(&r);
	dg_catalog_free(c);
	dg_store_free(s);
	return rc;
}

/* ---- main ---------------------------------------------------------------- */

struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
};

static const struct command commands[] = {
    {"init", cmd_init},
    {"ingest", cmd_ingest},
    {"ls", cmd_ls},
    {"show", cmd_show},
    {"cat", cmd_cat},
    {"search", cmd_search},
    {"verify", cmd_verify},
    {"reindex", cmd_reindex},
    {"quarantine", cmd_quarantine},
    {"plugins", cmd_plugins},
    {"config", cmd_config},
    {"stats", cmd_stats},
    {"review", cmd_review},
    {"dossier", cmd_dossier},
    {"export", cmd_export},
    {"import", cmd_import},
    {"verify-package", cmd_verify_package},
    {"verify-bag", cmd_verify_bag},
    {"verify-ocfl", cmd_verify_ocfl},
    {"verify-eep", cmd_verify_eep},
    {"verify-eark", cmd_verify_eark},
    {"set", cmd_set},
    {"train", cmd_train},
};

int
main(int argc, char **argv)
{
	static const struct option lo[] = {{"store", required_argument, NULL, 's'},
	                                   {"config", required_argument, NULL, 'c'},
	                                   {"plugin-path", required_argument, NULL, 'P'},
	                                   {"verbose", no_argument, NULL, 'v'},
	                                   {"quiet", no_argument, NULL, 'q'},
	                                   {"help", no_argument, NULL, 'h'},
	                                   {"version", no_argument, NULL, 'V'},
	                                   {NULL, 0, NULL, 0}};
	const char *env = getenv("DANGAN_STORE");
	size_t i;
	int c;

	g.store = env && *env ? env : "dangan-store";
	/* The engine runs documents in parallel on its own workers; OpenMP
	 * threads inside a plugin's library (tesseract) only fight them.
	 * Set before any plugin is loaded: the runtime reads it at load. */
	setenv("OMP_THREAD_LIMIT", "1", 0);
	g.verbosity = 1;
	g.tty_out = isatty(STDOUT_FILENO);
	while ((c = getopt_long(argc, argv, "+s:c:vqhV", lo, NULL)) != -1) {
		switch (c) {
		case 's': g.store = optarg; break;
		case 'c': g.config = optarg; break;
		case 'P': g.plugin_path = optarg; break;
		case 'v': g.verbosity++; break;
		case 'q': g.verbosity = 0; break;
		case 'h': fputs(usage_text, stdout); return EX_OK;
		case 'V':
			printf("dangan %s (plugin ABI %d.%d)\n", dg_version(), DG_ABI_MAJOR, DG_ABI_MINOR);
			return EX_OK;
		default: fputs("Try 'dangan --help'.\n", stderr); return EX_USAGE;
		}
	}
	if (optind >= argc) {
		fputs(usage_text, stderr);
		return EX_USAGE;
	}
	dg_xml_init();
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(argv[optind], commands[i].name) == 0) {
			int sub_argc = argc - optind;
			char **sub_argv = argv + optind;
			if (sub_argc > 1 && (strcmp(sub_argv[1], "--help") == 0 || strcmp(sub_argv[1], "-h") == 0)) {
				fputs(usage_text, stdout);
				return EX_OK;
			}
			return commands[i].fn(sub_argc, sub_argv);
		}
	}
	die_usage("unknown command '%s'", argv[optind]);
	return EX_USAGE;
}
