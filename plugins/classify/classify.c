#include <config.h>
#include <dangan/plugin.h>

/*
 * plugins/classify: the rules classifier and field extractor.
 *
 * init() loads a catalogue of document-type definitions (doctype.c: a
 * directory of *.xml, each validated against doctype.rng, every pattern
 * compiled with PCRE2); a bad definition stops the stage with FILE:LINE
 * and the reason.  process() reads the document's text part (at most
 * max-text bytes), normalises it (textnorm.c), scores every type from
 * its cues and turns the scores into probabilities (rules.c: a softmax
 * with a temperature and an OTHER class scored at min-score).  When an
 * earlier stage left "@learned.scores" ("CODE:p CODE:p ..."), the two
 * distributions are pooled (log-linear, rules-weight and
 * learned-weight).  It writes
 *
 *   doctype               the code, or OTHER (no type of the catalogue)
 *   doctype.name          the type's Chinese name (else its first name)
 *   doctype.category      doctype.retention   (when the type has them)
 *   doctype.confidence    the probability of that decision, 2 decimals
 *   doctype.candidates    "CONTRACT:0.91 APP:0.05 OTHER:0.02", the top 3
 *   doctype.method        rules | combined
 *   doctype.catalogue     the catalogue's name
 *
 * and, for the chosen type, each field found under its own name, the
 * value normalised (dates YYYY-MM-DD, amounts 1234.50, kVA as a number),
 * its name added to doctype.field (so a reader tells the fields from
 * other metadata: `show --json` gathers them under "classification").
 * A field that finds two different values is not written (unless its
 * definition says on-ambiguity="first") and review.reason says why; a
 * value that fails a validator is not written and field.problems says
 * why, as it does for a required field not found.  A decision below
 * review-below adds review.reason "classification uncertain: CONTRACT
 * 0.52, APP 0.31" ("no document type recognised: OTHER 0.48, ..." when
 * OTHER is the best).  The note of the stage's event gives the scores.
 * The document then ends with a warning (as a page the OCR stage sends
 * to review does).  A document whose type a person set
 * (doctype.method=person) is left alone.
 */

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "doctype.h"
#include "rules.h"
#include "textnorm.h"

#ifndef DG_DATADIR
#define DG_DATADIR "/usr/local/share/dangan"
#endif

#define CLASSIFY_VERSION "0.1.0"
#define CLASSIFY_DEFAULT_CATALOGUE "doctypes/power-supply"
#define CLASSIFY_SCHEMA "doctype.rng"
#define CLASSIFY_NOTE_MAX 1900

struct classify_state {
	struct dg_catalogue *cat;
	pcre2_match_context *mc;
	double review_below, floor, temperature, wr, wl;
	size_t max_text;
};

static const struct dg_option classify_options[] = {
    {.name = "catalogue",
     .type = DG_OPT_STRING,
     .default_value = "",
     .help = "directory of document-type definitions (*.xml, schema doctype.rng); empty: the installed "
             "doctypes/power-supply (under $DANGAN_DATADIR when set)"},
    {.name = "review-below",
     .type = DG_OPT_STRING,
     .default_value = "0.6",
     .help = "a decision whose confidence (0..1) is under this goes to review with its candidates"},
    {.name = "min-score",
     .type = DG_OPT_STRING,
     .default_value = "2",
     .help = "the score of OTHER (no type of the catalogue): a type must score more to be chosen"},
    {.name = "temperature",
     .type = DG_OPT_STRING,
     .default_value = "2",
     .help = "scores are divided by this before the softmax: a cue weight of this much multiplies a "
             "type's odds by e"},
    {.name = "max-text",
     .type = DG_OPT_SIZE,
     .default_value = "1M",
     .help = "most bytes of the text read; the rest of a longer text is not looked at",
     .min = 1024,
     .max = (int64_t)64 << 20},
    {.name = "rules-weight",
     .type = DG_OPT_STRING,
     .default_value = "0.5",
     .help = "weight of the rules' probabilities when pooled with @learned.scores"},
    {.name = "learned-weight",
     .type = DG_OPT_STRING,
     .default_value = "0.5",
     .help = "weight of the learned classifier's probabilities (@learned.scores); 0 ignores them"},
    {0},
};

/* ------------------------------------------------------------------ */
/* Init                                                                 */

static int
opt_decimal(struct dg_ctx *ctx, const struct dg_host *host, const struct dg_opts *opts, const char *name, double lo,
            double hi, int lo_open, double *out)
{
	const char *v = host->opt_string(opts, name);

	if (!v || dg_parse_decimal(v, out) != 0 || *out < lo || *out > hi || (lo_open && *out <= lo)) {
		host->error(ctx, "classify: option %s: '%s' is not a number %s %g and %g", name, v ? v : "",
		            lo_open ? "above" : "between", lo, hi);
		return -1;
	}
	return 0;
}

static void
classify_fini(void *state)
{
	struct classify_state *st = state;

	if (!st)
		return;
	dg_catalogue_free(st->cat);
	pcre2_match_context_free(st->mc);
	free(st);
}

static char *
join(const char *a, const char *b)
{
	size_t l = strlen(a) + strlen(b) + 2;
	char *p = malloc(l);

	if (p)
		snprintf(p, l, "%s/%s", a, b);
	return p;
}

static int
classify_init(struct dg_ctx *ctx, const struct dg_host *host, const struct dg_opts *opts, void **state)
{
	struct classify_state *st;
	struct dg_doctype_schema *schema = NULL;
	const char *datadir = getenv("DANGAN_DATADIR"), *dir;
	char *schema_path = NULL, *def_dir = NULL, err[4096];
	int64_t max;
	int rc = DG_FATAL;

	if (!datadir || !*datadir)
		datadir = DG_DATADIR;
	st = calloc(1, sizeof(*st));
	if (!st) {
		host->error(ctx, "classify: out of memory");
		return DG_FATAL;
	}
	if (opt_decimal(ctx, host, opts, "review-below", 0, 1, 0, &st->review_below) < 0 ||
	    opt_decimal(ctx, host, opts, "min-score", -1000, 1000, 0, &st->floor) < 0 ||
	    opt_decimal(ctx, host, opts, "temperature", 0, 1000, 1, &st->temperature) < 0 ||
	    opt_decimal(ctx, host, opts, "rules-weight", 0, 10, 0, &st->wr) < 0 ||
	    opt_decimal(ctx, host, opts, "learned-weight", 0, 10, 0, &st->wl) < 0)
		goto out;
	if (st->wr <= 0) {
		host->error(ctx, "classify: option rules-weight must be above 0");
		goto out;
	}
	max = host->opt_int(opts, "max-text");
	st->max_text = max >= 1024 ? (size_t)max : (size_t)1 << 20;
	dir = host->opt_string(opts, "catalogue");
	if (!dir || !*dir) {
		if (!(def_dir = join(datadir, CLASSIFY_DEFAULT_CATALOGUE)))
			goto oom;
		dir = def_dir;
	}
	if (!(schema_path = join(datadir, CLASSIFY_SCHEMA)))
		goto oom;
	schema = dg_doctype_schema_load(schema_path, err, sizeof(err));
	if (!schema) {
		host->error(ctx, "classify: %s", err);
		goto out;
	}
	st->cat = dg_catalogue_load_dir(dir, schema, 1, err, sizeof(err));
	if (!st->cat) {
		host->error(ctx, "classify: %s", err);
		goto out;
	}
	if (!(st->mc = dg_rules_match_context()))
		goto oom;
	if (st->cat->ntypes == 0)
		host->log(ctx, DG_LOG_INFO, "classify: catalogue %s defines no document type: nothing is classified",
		          dir);
	else
		host->log(ctx, DG_LOG_DEBUG, "classify: catalogue %s (%s): %zu types from %zu files", st->cat->name,
		          dir, st->cat->ntypes, st->cat->nfiles);
	*state = st;
	st = NULL;
	rc = DG_OK;
	goto out;
oom:
	host->error(ctx, "classify: out of memory");
out:
	dg_doctype_schema_free(schema);
	classify_fini(st);
	free(schema_path);
	free(def_dir);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Process                                                              */

static int
person_decided(const struct dg_host *host, struct dg_doc *doc)
{
	const char *m = host->meta_get(doc, "doctype.method");

	return m && strcmp(m, "person") == 0;
}

static int
classify_bid(struct dg_ctx *ctx, const struct dg_host *host, void *state, struct dg_doc *doc)
{
	const struct classify_state *st = state;

	if (!st || st->cat->ntypes == 0 || !host->part_path(doc, DG_ROLE_TEXT) || person_decided(host, doc))
		return 0;
	return 50;
}

/* Read at most max bytes of path, cut back to a whole UTF-8 character;
 * *more: the file has more. */
static char *
read_text(const char *path, size_t max, size_t *len, int *more)
{
	char *buf;
	size_t got = 0, cut;
	ssize_t r;
	char extra;
	int fd;

	*len = 0;
	*more = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return NULL;
	buf = malloc(max + 1);
	if (!buf) {
		close(fd);
		errno = ENOMEM;
		return NULL;
	}
	while (got < max) {
		r = read(fd, buf + got, max - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;
			free(buf);
			close(fd);
			errno = e;
			return NULL;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	if (got == max) {
		do
			r = read(fd, &extra, 1);
		while (r < 0 && errno == EINTR);
		*more = r > 0;
	}
	close(fd);
	if (*more) {
		/* do not split a character: drop a trailing incomplete sequence */
		cut = got;
		while (cut > 0 && got - cut < 4 && ((unsigned char)buf[cut - 1] & 0xc0) == 0x80)
			cut--;
		if (cut > 0 && ((unsigned char)buf[cut - 1] & 0xc0) == 0xc0) {
			unsigned char lead = (unsigned char)buf[cut - 1];
			size_t need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : 2;
			if (got - (cut - 1) < need)
				got = cut - 1;
		}
	}
	buf[got] = '\0';
	*len = got;
	return buf;
}

/* A bounded note line, never cut inside a UTF-8 character. */
struct note {
	char buf[CLASSIFY_NOTE_MAX + 8];
	size_t len;
	int full;
};

#if defined(__GNUC__)
static void note_add(struct note *n, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#endif

static void
note_add(struct note *n, const char *fmt, ...)
{
	char tmp[CLASSIFY_NOTE_MAX + 8];
	size_t l, room;
	va_list ap;
	int w;

	if (n->full)
		return;
	va_start(ap, fmt);
	w = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (w < 0)
		return;
	l = strlen(tmp);
	room = CLASSIFY_NOTE_MAX - n->len;
	if (l > room) {
		l = room;
		while (l > 0 && ((unsigned char)tmp[l] & 0xc0) == 0x80)
			l--;
		n->full = 1;
	}
	memcpy(n->buf + n->len, tmp, l);
	n->len += l;
	n->buf[n->len] = '\0';
	if (n->full && n->len + 4 < sizeof(n->buf)) {
		memcpy(n->buf + n->len, "...", 4);
		n->len += 3;
	}
}

/* Parse "CODE:p CODE:p ..." into probs over the catalogue (n types,
 * then OTHER); a code the catalogue lacks counts as OTHER.  Returns the
 * number of entries read, 0 when none is valid. */
static size_t
parse_learned(const char *s, const struct dg_catalogue *cat, double *probs)
{
	size_t n = cat->ntypes, i, count = 0;
	char code[64], num[32];
	double p, sum = 0;

	for (i = 0; i <= n; i++)
		probs[i] = 0;
	while (s && *s) {
		const char *tok, *colon, *end;
		while (*s == ' ' || *s == '\t' || *s == ',')
			s++;
		tok = s;
		while (*s && *s != ' ' && *s != '\t' && *s != ',')
			s++;
		end = s;
		if (end == tok)
			break;
		for (colon = end; colon > tok && colon[-1] != ':'; colon--)
			;
		if (colon == tok || (size_t)(colon - 1 - tok) >= sizeof(code) || (size_t)(end - colon) >= sizeof(num))
			continue;
		memcpy(code, tok, (size_t)(colon - 1 - tok));
		code[colon - 1 - tok] = '\0';
		memcpy(num, colon, (size_t)(end - colon));
		num[end - colon] = '\0';
		if (dg_parse_decimal(num, &p) != 0 || p < 0 || p > 1)
			continue;
		for (i = 0; i < n; i++)
			if (strcmp(cat->types[i].code, code) == 0)
				break;
		probs[i] += p; /* i == n: OTHER, or a class the catalogue lacks */
		sum += p;
		count++;
	}
	if (count == 0 || sum <= 0)
		return 0;
	for (i = 0; i <= n; i++)
		probs[i] /= sum;
	return count;
}

static const char *
class_code(const struct dg_catalogue *cat, size_t i)
{
	return i < cat->ntypes ? cat->types[i].code : DG_DOCTYPE_OTHER;
}

static int
set_meta(struct dg_ctx *ctx, const struct dg_host *host, struct dg_doc *doc, const char *key, const char *value)
{
	if (host->meta_set(doc, key, value) != 0) {
		host->error(ctx, "cannot set %s", key);
		return -1;
	}
	return 0;
}

static int
add_meta(struct dg_ctx *ctx, const struct dg_host *host, struct dg_doc *doc, const char *key, const char *value)
{
	if (host->meta_add(doc, key, value) != 0) {
		host->error(ctx, "cannot add %s", key);
		return -1;
	}
	return 0;
}

/* The fields of the chosen type.  *flagged: review.reason or
 * field.problems was written. */
static int
extract_fields(struct dg_ctx *ctx, const struct dg_host *host, const struct dg_doctype *t, const struct dg_normtext *x,
               pcre2_match_data *md, pcre2_match_context *mc, struct dg_doc *doc, struct note *nt, int *flagged)
{
	struct dg_field_result *r;
	char msg[1024];
	size_t i, k, l;
	int rc = -1, limited = 0;

	r = malloc(sizeof(*r));
	if (!r) {
		host->error(ctx, "classify: out of memory");
		return -1;
	}
	for (i = 0; i < t->nfields; i++) {
		const struct dg_field *f = &t->fields[i];
		if (dg_rules_extract(t, f, x, md, mc, r) != 0) {
			host->error(ctx, "classify: out of memory");
			goto out;
		}
		limited |= r->limited;
		if (r->n == 1 || (r->n > 1 && f->first)) {
			if (set_meta(ctx, host, doc, f->name, r->vals[0]) < 0 ||
			    add_meta(ctx, host, doc, "doctype.field", f->name) < 0)
				goto out;
			note_add(nt, "; %s=%s", f->name, r->vals[0]);
			if (r->n > 1)
				note_add(nt, " (first of %zu)", r->n);
		} else if (r->n > 1) {
			l = (size_t)snprintf(msg, sizeof(msg), "%s: %zu different values found (", f->name, r->n);
			for (k = 0; k < r->n && k < 3 && l < sizeof(msg); k++)
				l += (size_t)snprintf(msg + l, sizeof(msg) - l, "%s%s", k ? ", " : "", r->vals[k]);
			if (l < sizeof(msg))
				snprintf(msg + l, sizeof(msg) - l, "%s), not written", r->n > 3 ? ", ..." : "");
			if (add_meta(ctx, host, doc, "review.reason", msg) < 0)
				goto out;
			note_add(nt, "; %s ambiguous", f->name);
			*flagged = 1;
		} else if (r->ninvalid > 0) {
			if (add_meta(ctx, host, doc, "field.problems", r->problem) < 0)
				goto out;
			note_add(nt, "; %s refused", f->name);
			*flagged = 1;
		} else if (f->required) {
			snprintf(msg, sizeof(msg), "%s: required, not found", f->name);
			if (add_meta(ctx, host, doc, "field.problems", msg) < 0)
				goto out;
			note_add(nt, "; %s not found", f->name);
			*flagged = 1;
		}
	}
	if (limited)
		note_add(nt, "; a field pattern ran into the match limits");
	rc = 0;
out:
	free(r);
	return rc;
}

static int
classify_process(struct dg_ctx *ctx, const struct dg_host *host, void *state, struct dg_doc *doc)
{
	const struct classify_state *st = state;
	const struct dg_catalogue *cat = st->cat;
	const struct dg_doctype *t = NULL;
	struct dg_normtext x = {0};
	pcre2_match_data *md = NULL;
	double *scores = NULL, *probs = NULL, *learned = NULL;
	size_t *order = NULL, n = cat->ntypes, i, j, len = 0, shown;
	unsigned char *hit = NULL;
	const char *path, *ls, *method = "rules";
	char *text = NULL, val[32], buf[512];
	struct note nt = {{0}, 0, 0};
	int more = 0, limited = 0, flagged = 0, rc = DG_FAILED;
	size_t l;

	if (n == 0 || person_decided(host, doc))
		return DG_DECLINED;
	path = host->part_path(doc, DG_ROLE_TEXT);
	if (!path)
		return DG_DECLINED;
	text = read_text(path, st->max_text, &len, &more);
	if (!text) {
		host->error(ctx, "classify: cannot read the text part %s: %s", path, strerror(errno));
		goto out;
	}
	if (dg_normtext_init(&x, text, len) != 0) {
		host->error(ctx, "classify: out of memory normalising %zu bytes", len);
		goto out;
	}
	free(text);
	text = NULL;
	scores = calloc(n, sizeof(*scores));
	probs = calloc(n + 1, sizeof(*probs));
	learned = calloc(n + 1, sizeof(*learned));
	order = calloc(n + 1, sizeof(*order));
	md = dg_rules_match_data(cat);
	if (!scores || !probs || !learned || !order || !md) {
		host->error(ctx, "classify: out of memory");
		goto out;
	}
	for (i = 0; i < n; i++)
		scores[i] = dg_rules_score(&cat->types[i], &x, md, st->mc, NULL, &limited);
	dg_rules_calibrate(scores, n, st->floor, st->temperature, probs);

	/* the provenance note: scores, the best type's cues */
	for (i = 0; i <= n; i++)
		order[i] = i;
	for (i = 1; i < n; i++) /* types by score, best first (insertion sort: n is small) */
		for (j = i; j > 0 && scores[order[j]] > scores[order[j - 1]]; j--) {
			size_t tmp = order[j];
			order[j] = order[j - 1];
			order[j - 1] = tmp;
		}
	/* every score that is not 0 (bench/classify-calibration.sh reads them) */
	note_add(&nt, "rules, catalogue %s (%zu types): ", cat->name, n);
	for (i = 0, j = 0; i < n; i++)
		if (scores[order[i]] != 0)
			note_add(&nt, "%s%s %g", j++ ? ", " : "", cat->types[order[i]].code, scores[order[i]]);
	if (j < n)
		note_add(&nt, "%s%zu at 0", j ? ", " : "", n - j);
	note_add(&nt, "; OTHER floor %g, temperature %g", st->floor, st->temperature);
	if (n > 0 && scores[order[0]] > 0) {
		const struct dg_doctype *b = &cat->types[order[0]];
		hit = calloc(b->ncues + 1, 1);
		if (hit) {
			dg_rules_score(b, &x, md, st->mc, hit, &limited);
			note_add(&nt, "; %s cues:", b->code);
			for (i = 0; i < b->ncues; i++)
				if (hit[i])
					note_add(&nt, " %s%s", b->cues[i].kind == DG_CUE_NEGATIVE ? "-" : "",
					         b->cues[i].source);
		}
	}
	if (more)
		note_add(&nt, "; only the first %zu bytes of the text were read (max-text %zu)", len, st->max_text);
	if (limited)
		note_add(&nt, "; a cue pattern ran into the match limits and counted as not matching");
	if (x.replaced)
		note_add(&nt, "; %zu invalid UTF-8 sequences in the text", x.replaced);

	/* pooled with the learned classifier's distribution */
	ls = host->meta_get(doc, "@learned.scores");
	if (ls && st->wl > 0) {
		if (parse_learned(ls, cat, learned) > 0) {
			dg_rules_combine(probs, learned, n, st->wr, st->wl);
			method = "combined";
			note_add(&nt, "; pooled with @learned.scores (weights %g, %g)", st->wr, st->wl);
		} else {
			note_add(&nt, "; @learned.scores unreadable, ignored");
		}
	}

	/* the decision: classes by probability */
	for (i = 0; i <= n; i++)
		order[i] = i;
	for (i = 1; i <= n; i++)
		for (j = i; j > 0 && probs[order[j]] > probs[order[j - 1]]; j--) {
			size_t tmp = order[j];
			order[j] = order[j - 1];
			order[j - 1] = tmp;
		}
	if (order[0] < n)
		t = &cat->types[order[0]];
	if (set_meta(ctx, host, doc, "doctype", class_code(cat, order[0])) < 0)
		goto out;
	if (t && t->name && set_meta(ctx, host, doc, "doctype.name", t->name) < 0)
		goto out;
	if (t && t->category && set_meta(ctx, host, doc, "doctype.category", t->category) < 0)
		goto out;
	if (t && t->retention && set_meta(ctx, host, doc, "doctype.retention", t->retention) < 0)
		goto out;
	dg_format_prob(probs[order[0]], val, sizeof(val));
	if (set_meta(ctx, host, doc, "doctype.confidence", val) < 0)
		goto out;
	note_add(&nt, " -> %s %s", class_code(cat, order[0]), val);
	l = 0;
	buf[0] = '\0';
	for (i = 0; i <= n && i < 3; i++) {
		dg_format_prob(probs[order[i]], val, sizeof(val));
		l +=
		    (size_t)snprintf(buf + l, sizeof(buf) - l, "%s%s:%s", i ? " " : "", class_code(cat, order[i]), val);
		if (l >= sizeof(buf))
			break;
	}
	if (set_meta(ctx, host, doc, "doctype.candidates", buf) < 0 ||
	    set_meta(ctx, host, doc, "doctype.method", method) < 0 ||
	    set_meta(ctx, host, doc, "doctype.catalogue", cat->name) < 0)
		goto out;
	if (probs[order[0]] < st->review_below) {
		/* OTHER on top: nothing of the catalogue was recognised, which is
		 * not the same as hesitating between two types */
		l = (size_t)snprintf(buf, sizeof(buf),
		                     "%s:", order[0] == n ? "no document type recognised" : "classification uncertain");
		for (i = 0, shown = 0; i <= n && shown < 3 && l < sizeof(buf); i++) {
			if (shown > 0 && probs[order[i]] < 0.01)
				break;
			dg_format_prob(probs[order[i]], val, sizeof(val));
			l += (size_t)snprintf(buf + l, sizeof(buf) - l, "%s %s %s", shown ? "," : "",
			                      class_code(cat, order[i]), val);
			shown++;
		}
		if (add_meta(ctx, host, doc, "review.reason", buf) < 0)
			goto out;
		flagged = 1;
	}
	if (t && extract_fields(ctx, host, t, &x, md, st->mc, doc, &nt, &flagged) < 0)
		goto out;
	host->note(ctx, doc, "%s", nt.buf);
	rc = flagged ? DG_WARN : DG_OK;
out:
	free(text);
	dg_normtext_release(&x);
	pcre2_match_data_free(md);
	free(scores);
	free(probs);
	free(learned);
	free(order);
	free(hit);
	return rc;
}

static const struct dg_plugin classify_plugin = {
    DG_PLUGIN_HEADER,
    .name = "classify",
    .version = CLASSIFY_VERSION,
    .summary = "Document type and key fields from the text, by the rules of a catalogue of definitions",
    .kind = DG_KIND_CLASSIFY,
    .flags = DG_PLUGIN_SHARED,
    .options = classify_options,
    .init = classify_init,
    .fini = classify_fini,
    .bid = classify_bid,
    .process = classify_process,
    .bid_locator = NULL,
    .scan = NULL,
};

DG_PLUGIN_DEFINE(classify_plugin)
