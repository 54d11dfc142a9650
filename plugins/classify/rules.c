/* rules.c -- see rules.h. */
#include <config.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules.h"

/* Most matches looked at per extractor and text. */
#define RULES_MAX_ITER 1000

pcre2_match_data *
dg_rules_match_data(const struct dg_catalogue *c)
{
	return pcre2_match_data_create(c->max_captures + 1, NULL);
}

pcre2_match_context *
dg_rules_match_context(void)
{
	pcre2_match_context *mc = pcre2_match_context_create(NULL);

	if (!mc)
		return NULL;
	pcre2_set_match_limit(mc, DG_DOCTYPE_MATCH_LIMIT);
	pcre2_set_depth_limit(mc, DG_DOCTYPE_DEPTH_LIMIT);
	pcre2_set_heap_limit(mc, DG_DOCTYPE_HEAP_LIMIT_KIB);
	return mc;
}

/* 1 match, 0 none, -1 limits or another matching error. */
static int
find(const pcre2_code *re, const char *s, size_t len, size_t off, pcre2_match_data *md, pcre2_match_context *mc)
{
	int rc = pcre2_match(re, (PCRE2_SPTR)s, len, off, PCRE2_NO_UTF_CHECK, md, mc);

	if (rc >= 0)
		return 1;
	if (rc == PCRE2_ERROR_NOMATCH)
		return 0;
	return -1;
}

/* Does the cue match either text (limited to lim1/lim2 bytes)? */
static int
cue_matches(const struct dg_cue *q, const struct dg_normtext *x, pcre2_match_data *md, pcre2_match_context *mc,
            int *limited)
{
	size_t clen = q->kind == DG_CUE_TITLE ? x->compact_title : x->compact_len;
	size_t llen = q->kind == DG_CUE_TITLE ? x->lines_title : x->lines_len;
	int r;

	r = find(q->re, x->compact, clen, 0, md, mc);
	if (r < 0)
		*limited = 1;
	if (r > 0 || q->literal)
		return r > 0;
	r = find(q->re, x->lines, llen, 0, md, mc);
	if (r < 0)
		*limited = 1;
	return r > 0;
}

double
dg_rules_score(const struct dg_doctype *t, const struct dg_normtext *x, pcre2_match_data *md, pcre2_match_context *mc,
               unsigned char *hit, int *limited)
{
	double s = 0;
	size_t i;
	int m;

	for (i = 0; i < t->ncues; i++) {
		m = cue_matches(&t->cues[i], x, md, mc, limited);
		if (hit)
			hit[i] = (unsigned char)m;
		if (m)
			s += t->cues[i].kind == DG_CUE_NEGATIVE ? -t->cues[i].weight : t->cues[i].weight;
	}
	return s;
}

void
dg_rules_calibrate(const double *scores, size_t n, double floor, double temperature, double *probs)
{
	double mx = floor / temperature, z = 0;
	size_t i;

	for (i = 0; i < n; i++)
		if (scores[i] / temperature > mx)
			mx = scores[i] / temperature;
	for (i = 0; i < n; i++) {
		probs[i] = exp(scores[i] / temperature - mx);
		z += probs[i];
	}
	probs[n] = exp(floor / temperature - mx);
	z += probs[n];
	for (i = 0; i <= n; i++)
		probs[i] /= z;
}

void
dg_rules_combine(double *probs, const double *other, size_t n, double wr, double wl)
{
	double mx = -INFINITY, z = 0;
	size_t i;

	for (i = 0; i <= n; i++) {
		double a = probs[i] > 1e-9 ? probs[i] : 1e-9;
		double b = other[i] > 1e-4 ? other[i] : 1e-4;
		probs[i] = wr * log(a) + wl * log(b);
		if (probs[i] > mx)
			mx = probs[i];
	}
	for (i = 0; i <= n; i++) {
		probs[i] = exp(probs[i] - mx);
		z += probs[i];
	}
	for (i = 0; i <= n; i++)
		probs[i] /= z;
}

int
dg_rules_normalise(const struct dg_field *f, const char *s, size_t n, char *out, size_t cap)
{
	switch (f->type) {
	case DG_FIELD_DATE: return dg_norm_date_order(s, n, (enum dg_date_order)f->date_order, out, cap);
	case DG_FIELD_AMOUNT: return dg_norm_amount(s, n, out, cap);
	case DG_FIELD_KVA: return dg_norm_kva(s, n, out, cap);
	case DG_FIELD_NUMBER: return dg_norm_number(s, n, out, cap);
	case DG_FIELD_TEXT: break;
	}
	return dg_norm_text(s, n, out, cap);
}

struct cand {
	char v[DG_RULES_VALUE_MAX];
	size_t pos;
};

struct cands {
	struct cand c[DG_RULES_MAX_CANDIDATES * 2];
	size_t n;
	int overflow;
};

static void
cands_add(struct cands *cs, const char *v, size_t pos)
{
	size_t i;

	for (i = 0; i < cs->n; i++)
		if (strcmp(cs->c[i].v, v) == 0) {
			if (pos < cs->c[i].pos)
				cs->c[i].pos = pos;
			return;
		}
	if (cs->n >= sizeof(cs->c) / sizeof(cs->c[0])) {
		cs->overflow = 1;
		return;
	}
	snprintf(cs->c[cs->n].v, sizeof(cs->c[0].v), "%s", v);
	cs->c[cs->n].pos = pos;
	cs->n++;
}

static int
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* A value found after a label ends where a label of the type begins
 * (two characters in at least; the label may go on past the value):
 * returns the new end, or b. */
static size_t
cut_at_label(const struct dg_doctype *t, const char *s, size_t len, size_t a, size_t b, pcre2_match_data *md,
             pcre2_match_context *mc)
{
	size_t p = a, chars = 0, i;

	while (p < b) {
		if (chars >= 2)
			for (i = 0; i < t->ncuts; i++)
				if (pcre2_match(t->cuts[i], (PCRE2_SPTR)s, len, p, PCRE2_ANCHORED | PCRE2_NO_UTF_CHECK,
				                md, mc) >= 0)
					return p;
		p++;
		while (p < b && ((unsigned char)s[p] & 0xc0) == 0x80)
			p++;
		chars++;
	}
	return b;
}

/* Every value of one extractor in one text. */
static void
scan(const struct dg_doctype *t, const struct dg_field *f, const struct dg_extractor *e, const char *s, size_t len,
     pcre2_match_data *md, pcre2_match_context *mc, struct cands *cs, int *limited)
{
	PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
	char norm[DG_RULES_VALUE_MAX];
	size_t off = 0, a, b, cut;
	int iter, r;

	for (iter = 0; iter < RULES_MAX_ITER && off <= len; iter++) {
		r = find(e->re, s, len, off, md, mc);
		if (r < 0)
			*limited = 1;
		if (r <= 0)
			return;
		a = ov[2 * e->group];
		b = ov[2 * e->group + 1];
		/* the next search starts after this match, one character on
		 * when it was empty */
		if (ov[1] > ov[0])
			off = ov[1];
		else {
			off = ov[0] + 1;
			while (off < len && ((unsigned char)s[off] & 0xc0) == 0x80)
				off++;
		}
		if (a == PCRE2_UNSET || b == PCRE2_UNSET || b <= a || b - a >= DG_RULES_VALUE_MAX)
			continue;
		if (e->label && f->vre) {
			cut = cut_at_label(t, s, len, a, b, md, mc);
			/* what is left must still be a whole value */
			if (cut < b && pcre2_match(f->vre, (PCRE2_SPTR)s, cut, a,
			                           PCRE2_ANCHORED | PCRE2_ENDANCHORED | PCRE2_NO_UTF_CHECK, md, mc) < 0)
				continue;
			b = cut;
		}
		/* not the middle of a longer number */
		if ((a > 0 && is_digit(s[a - 1]) && is_digit(s[a])) ||
		    (b < len && is_digit(s[b]) && is_digit(s[b - 1])))
			continue;
		if (dg_rules_normalise(f, s + a, b - a, norm, sizeof(norm)) != 0)
			continue;
		cands_add(cs, norm, a);
	}
}

static int
cand_cmp(const void *x, const void *y)
{
	const struct cand *a = x, *b = y;

	return a->pos < b->pos ? -1 : a->pos > b->pos;
}

static int
prefix_related(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	return strncmp(a, b, la < lb ? la : lb) == 0;
}

/* Why v fails a validator (into why), or 0 when it passes them all. */
static int
check(const struct dg_field *f, const char *v, pcre2_match_data *md, pcre2_match_context *mc, char *why, size_t cap)
{
	double d = 0;
	size_t i;
	int numeric = f->type == DG_FIELD_AMOUNT || f->type == DG_FIELD_KVA || f->type == DG_FIELD_NUMBER;

	if (numeric && dg_parse_decimal(v, &d) != 0)
		numeric = 0;
	for (i = 0; i < f->nval; i++) {
		const struct dg_validator *val = &f->val[i];
		if (val->re && find(val->re, v, strlen(v), 0, md, mc) <= 0) {
			snprintf(why, cap, "%s: '%s' does not match %s", f->name, v, val->pattern);
			return -1;
		}
		if (f->type == DG_FIELD_DATE) {
			if (val->min && strcmp(v, val->min) < 0) {
				snprintf(why, cap, "%s: %s is before %s", f->name, v, val->min);
				return -1;
			}
			if (val->max && strcmp(v, val->max) > 0) {
				snprintf(why, cap, "%s: %s is after %s", f->name, v, val->max);
				return -1;
			}
		} else if (numeric) {
			if (val->min && d < val->min_v) {
				snprintf(why, cap, "%s: %s is below the minimum %s", f->name, v, val->min);
				return -1;
			}
			if (val->max && d > val->max_v) {
				snprintf(why, cap, "%s: %s is above the maximum %s", f->name, v, val->max);
				return -1;
			}
		}
	}
	return 0;
}

int
dg_rules_extract(const struct dg_doctype *t, const struct dg_field *f, const struct dg_normtext *x,
                 pcre2_match_data *md, pcre2_match_context *mc, struct dg_field_result *r)
{
	struct cands *lines = NULL, *compact = NULL;
	char why[512];
	size_t i, j;
	int rc = -1;

	memset(r, 0, sizeof(*r));
	lines = calloc(1, sizeof(*lines));
	compact = calloc(1, sizeof(*compact));
	if (!lines || !compact)
		goto out;
	for (i = 0; i < f->nex; i++) {
		scan(t, f, &f->ex[i], x->lines, x->lines_len, md, mc, lines, &r->limited);
		scan(t, f, &f->ex[i], x->compact, x->compact_len, md, mc, compact, &r->limited);
	}
	if (lines->n > 1)
		qsort(lines->c, lines->n, sizeof(lines->c[0]), cand_cmp);
	if (compact->n > 1)
		qsort(compact->c, compact->n, sizeof(compact->c[0]), cand_cmp);
	/* the compact text's values that are not the line text's own */
	for (i = 0; i < compact->n; i++) {
		int related = 0;
		for (j = 0; j < lines->n && !related; j++)
			related = prefix_related(lines->c[j].v, compact->c[i].v);
		if (!related) /* after the line text's own: positions differ in the two texts */
			cands_add(lines, compact->c[i].v, (size_t)-1);
	}
	for (i = 0; i < lines->n; i++) {
		if (check(f, lines->c[i].v, md, mc, why, sizeof(why)) != 0) {
			if (r->ninvalid++ == 0)
				snprintf(r->problem, sizeof(r->problem), "%s", why);
			continue;
		}
		if (r->n < DG_RULES_MAX_CANDIDATES) {
			snprintf(r->vals[r->n], sizeof(r->vals[0]), "%s", lines->c[i].v);
			r->n++;
		}
	}
	rc = 0;
out:
	free(lines);
	free(compact);
	return rc;
}
