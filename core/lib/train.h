/*
 * train.h -- `dangan train`: select the labelled documents of the
 * catalog, hand them to a trainable classifier plugin (ABI 1.4
 * train()), store the model it writes as an object, record it in the
 * plugin's state directory (objects, history) and install it there as
 * "model" (temp file, fsync, rename).  Internal.
 */
#ifndef DG_TRAIN_H
#define DG_TRAIN_H

#include <stdint.h>

#include "catalog.h"
#include "store.h"

struct dg_train_opts {
	const char *plugin;         /* NULL: "learned" */
	const char *catalogue;      /* only documents whose doctype.catalogue is this; NULL: all */
	int any_labelled;           /* every document with a doctype, whoever set it */
	double min_confidence;      /* besides a person's labels: doctype.confidence >= this */
	int folds;                  /* > 1: k-fold cross-validation figures */
	double test_split;          /* 0 < f < 1: held-out test figures */
	const char *const *options; /* "OPTION=VALUE" for the plugin */
	size_t noptions;
	const char *plugin_path;
	int verbosity;
};

struct dg_train_result {
	int64_t documents; /* selected */
	int64_t evaluated; /* held-out predictions (0: no evaluation asked) */
	int64_t correct;
	double accuracy, macro_f1;
	size_t nlabels;
	char **labels;      /* the types, sorted */
	int64_t *confusion; /* nlabels x nlabels: [true][predicted] */
	char model[65];     /* the model object */
	char previous[65];  /* the model it replaced, or "" */
	int64_t model_size;
	int64_t trained_us;
};

/* 0 trained and installed; 1 nothing to train on (too few labelled
 * documents or types); 2 usage (bad option, no such plugin, not
 * trainable); 3 store problem; 4 training or installing failed (the
 * installed model is unchanged).  errbuf says why. */
int dg_train_run(struct dg_store *s, struct dg_catalog *c, const struct dg_train_opts *o, struct dg_train_result *r,
                 char *errbuf, size_t errcap);
void dg_train_result_release(struct dg_train_result *r);
/* Precision-recall F1 of label i from the confusion table. */
double dg_train_f1(const struct dg_train_result *r, size_t i, int64_t *support);

#endif
