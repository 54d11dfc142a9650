/* fuzz-doctype.c -- libFuzzer harness: any bytes as a document-type
 * definition file (an XML file of a catalogue), loaded as the classify stage
 * loads its catalogue: parsed (no network, no DOCTYPE), validated
 * against config/doctype.rng, every pattern compiled with PCRE2.  When
 * the file loads, its types score a fixed text and every field is
 * extracted from it, so that the fuzzer's patterns run too (under the
 * match limits).  Nothing may crash, hang or leak; a bad definition is
 * an error with FILE:LINE, never more.
 * Needs DANGAN_DATADIR (the schema) like the tests. */
#include <config.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../plugins/classify/doctype.h"
#include "../../plugins/classify/rules.h"
#include "../../plugins/classify/textnorm.h"

#ifndef DG_DATADIR
#define DG_DATADIR "/usr/local/share/dangan"
#endif

static struct dg_doctype_schema *schema;
static pcre2_match_context *mctx;
static struct dg_normtext sample;
static char path[96];

/* A text with something for every built-in field type. */
static const char sample_text[] =
    "供用电合同\n合同编号：GY-2024-0315\n用电人：华东机械制造有限公司户号：３３０１２３４５６７\n"
    "合同容量：315kVA 金额：¥1,234.50 合计：1.5万元\n签订日期：二〇二四年三月五日 "
    "2024-03-05 2024/3/5\r\nINVOICE No. 12 Total: 99.90\f申请人　张三";

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *dir = getenv("DANGAN_DATADIR");
	char rng[1024], err[4096];

	(void)argc;
	(void)argv;
	snprintf(rng, sizeof(rng), "%s/doctype.rng", dir && *dir ? dir : DG_DATADIR);
	schema = dg_doctype_schema_load(rng, err, sizeof(err));
	mctx = dg_rules_match_context();
	if (!schema || !mctx || dg_normtext_init(&sample, sample_text, sizeof(sample_text) - 1) != 0) {
		fprintf(stderr, "fuzz-doctype: %s\n", schema ? "out of memory" : err);
		abort();
	}
	snprintf(path, sizeof(path), "/tmp/dangan-fuzz-doctype-%ld.xml", (long)getpid());
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dg_catalogue *c;
	struct dg_field_result *r;
	pcre2_match_data *md;
	char err[4096];
	size_t i, j;
	int limited = 0;
	FILE *f;

	f = fopen(path, "wb");
	if (!f)
		return 0;
	fwrite(data, 1, size, f);
	fclose(f);
	c = dg_catalogue_new(0);
	if (!c)
		return 0;
	if (dg_catalogue_add_file(c, path, schema, err, sizeof(err)) == 0 &&
	    dg_catalogue_finish(c, err, sizeof(err)) == 0) {
		md = dg_rules_match_data(c);
		r = malloc(sizeof(*r));
		if (md && r) {
			for (i = 0; i < c->ntypes; i++) {
				(void)dg_rules_score(&c->types[i], &sample, md, mctx, NULL, &limited);
				for (j = 0; j < c->types[i].nfields; j++)
					(void)dg_rules_extract(&c->types[i], &c->types[i].fields[j], &sample, md, mctx,
					                       r);
			}
		}
		free(r);
		pcre2_match_data_free(md);
	} else if (!err[0]) {
		abort(); /* an error always says why */
	}
	dg_catalogue_free(c);
	return 0;
}
