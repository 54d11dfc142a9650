/*
 * rules.h -- the rules classifier and the field extractor over a loaded
 * catalogue (doctype.h) and a normalised text (textnorm.h).  No engine
 * calls here: the classify plugin and the fuzz harness share it.
 *
 * Scoring: a type's score is the sum of the weights of its cues that
 * match, each counted once however often it matches, minus the weights
 * of its negative cues that match.  title: a regex on the first 300
 * characters; keyword: a literal anywhere in the compact text (no
 * whitespace); regex: anywhere in the compact text or in the text with
 * its line breaks; negative: a literal, or with regex="true" a regex.
 *
 * Calibration (dg_rules_calibrate): a softmax over the types' scores
 * divided by a temperature T, with one more class, OTHER ("no type of
 * the catalogue"), whose score is a fixed floor m:
 *
 *     P(type) = exp(s_type / T) / Z,  P(OTHER) = exp(m / T) / Z,
 *     Z = exp(m / T) + sum over types of exp(s / T)
 *
 * A weight of T multiplies a type's odds by e; a type needs a score
 * above m to beat OTHER; a text that matches nothing gets P(OTHER) =
 * 1 / (1 + N exp(-m / T)) for N types, and every type 1 / (N + exp(m/T)).
 *
 * Combination with another classifier's distribution (dg_rules_combine):
 * a weighted log-linear pool, P(c) proportional to
 * P_rules(c)^wr * P_other(c)^wl, over the catalogue's types and OTHER.
 */
#ifndef DG_CLASSIFY_RULES_H
#define DG_CLASSIFY_RULES_H

#include "doctype.h"
#include "textnorm.h"

/* What a match needs: match data with room for the catalogue's
 * captures (dg_rules_match_data), a match context with the limits. */
pcre2_match_data *dg_rules_match_data(const struct dg_catalogue *c);
pcre2_match_context *dg_rules_match_context(void);

/* The score of one type; hit (t->ncues bytes, or NULL) gets 1 for each
 * cue that matched.  *limited is set when a pattern ran into the match
 * limits (it then counts as not matching). */
double dg_rules_score(const struct dg_doctype *t, const struct dg_normtext *x, pcre2_match_data *md,
                      pcre2_match_context *mc, unsigned char *hit, int *limited);

/* scores: n types; probs: n + 1 (the last is OTHER). */
void dg_rules_calibrate(const double *scores, size_t n, double floor, double temperature, double *probs);

/* probs (n + 1) becomes the pool of itself (weight wr) and other (n +
 * 1, each > 0 and summing to 1; weight wl). */
void dg_rules_combine(double *probs, const double *other, size_t n, double wr, double wl);

#define DG_RULES_MAX_CANDIDATES 8
#define DG_RULES_VALUE_MAX 256

struct dg_field_result {
	size_t n; /* distinct values that pass the validators, in reading order */
	char vals[DG_RULES_MAX_CANDIDATES][DG_RULES_VALUE_MAX];
	size_t ninvalid;   /* values refused by a validator */
	char problem[512]; /* why the first of them was refused */
	int limited;       /* a pattern ran into the match limits */
};

/* Find a field's values in the text: every label and regex, on the text
 * with its line breaks and on the compact text.  A value found in the
 * compact text only counts when it is not the same as, or the beginning
 * or an extension of, one found in the text with line breaks (the
 * compact text glues the next line onto a value).  A value found after
 * a label is cut where a label of any field of the type begins, and
 * kept when the rest is still a whole value. */
int dg_rules_extract(const struct dg_doctype *t, const struct dg_field *f, const struct dg_normtext *x,
                     pcre2_match_data *md, pcre2_match_context *mc, struct dg_field_result *r);

/* Normalise a matched value as the field's type (and date order) says
 * (textnorm.h); 0 or -1. */
int dg_rules_normalise(const struct dg_field *f, const char *s, size_t n, char *out, size_t cap);

#endif
