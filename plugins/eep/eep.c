/*
 * plugins/eep/eep.c -- DA/T 48-2009 electronic-record encapsulation
 * packages (EEP, 《基于XML的电子文件封装规范》): export, verification and
 * import.
 *
 *   dangan export --format eep -o DIR [-O unit=...] [-O parts=all]
 *                 [-O sm3=true] [-O sign-key=KEY.pem -O sign-cert=CERT.pem]
 *   dangan verify-eep DIR|FILE.eep
 *   dangan import DIR|FILE.eep
 *
 * One .eep file per stored document (eep-export.c), checked against
 * config/schemas/eep.xsd (an unofficial reconstruction of the
 * standard's schema) in process; verification (eep-verify.c) checks the
 * schema, the IDs and IDREFs, every bit stream's size and digests, the
 * signatures and the 修改型 chain; import restores the originals bit
 * exact.
 */
#include <config.h>

#include "eep.h"

#include <libxml/parser.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct dg_option eep_options[] = {
    {.name = "unit",
     .type = DG_OPT_STRING,
     .default_value = NULL,
     .help = "封装包创建单位 and 立档单位名称 (default: the document's 立档单位名称, else \"未注明\")"},
    {.name = "parts",
     .type = DG_OPT_STRING,
     .default_value = "original",
     .help = "original: the original only; all: the derived parts too, as 附属文档"},
    {.name = "versions",
     .type = DG_OPT_BOOL,
     .default_value = "true",
     .help = "a document with earlier versions becomes a 修改型 package wrapping them"},
    {.name = "sm3",
     .type = DG_OPT_BOOL,
     .default_value = "false",
     .help = "编码描述 records each bit stream's SM3 besides its SHA-256 (for sites that require the national "
             "algorithm; OpenSSL's SM3 is about six times slower than SHA-256)"},
    {.name = "sign-key",
     .type = DG_OPT_STRING,
     .default_value = NULL,
     .help = "PEM SM2 private key: sign each package (电子签名 and 锁定签名); needs sign-cert"},
    {.name = "sign-cert",
     .type = DG_OPT_STRING,
     .default_value = NULL,
     .help = "PEM certificate of sign-key, embedded in 证书块"},
    {.name = "signer",
     .type = DG_OPT_STRING,
     .default_value = NULL,
     .help = "签名人 (default: the certificate's subject)"},
    {.name = "max-size",
     .type = DG_OPT_SIZE,
     .default_value = "1G",
     .help = "most bytes of a package held in memory when it is verified, imported or signed: everything but "
             "its 编码数据 text (that text is streamed)",
     .min = 1024,
     .max = INT64_MAX},
    {.name = NULL},
};

static void
eep_fini(void *state)
{
	struct eep_state *st = state;

	if (st == NULL)
		return;
	if (st->schema != NULL)
		xmlSchemaFree(st->schema);
	if (st->schema_doc != NULL)
		xmlFreeDoc(st->schema_doc);
	EVP_PKEY_free(st->key);
	X509_free(st->cert);
	free(st->out);
	free(st);
}

static int
eep_init(struct dg_ctx *ctx, const struct dg_host *host, const struct dg_opts *opts, void **state)
{
	struct eep_state *st;
	const char *parts;
	char err[512];
	int rc = DG_FATAL;

	st = calloc(1, sizeof(*st));
	if (st == NULL) {
		host->error(ctx, "eep: out of memory");
		return DG_FATAL;
	}
	st->host = host;
	st->out_fd = -1;
	st->unit = host->opt_string(opts, "unit");
	parts = host->opt_string(opts, "parts");
	if (parts != NULL && strcmp(parts, "all") == 0) {
		st->parts_all = true;
	} else if (parts != NULL && strcmp(parts, "original") != 0) {
		host->error(ctx, "eep: parts=%s: expected original or all", parts);
		goto out;
	}
	st->versions = host->opt_bool(opts, "versions") > 0;
	st->sm3 = host->opt_bool(opts, "sm3") > 0;
	st->sign_key = host->opt_string(opts, "sign-key");
	st->sign_cert = host->opt_string(opts, "sign-cert");
	st->signer = host->opt_string(opts, "signer");
	st->max_size = host->opt_int(opts, "max-size");
	if ((st->sign_key != NULL) != (st->sign_cert != NULL)) {
		host->error(ctx, "eep: sign-key and sign-cert go together");
		goto out;
	}
	if (st->sign_key != NULL &&
	    eep_load_signer(st->sign_key, st->sign_cert, &st->key, &st->cert, err, sizeof(err)) < 0) {
		host->error(ctx, "eep: %s", err);
		goto out;
	}
	st->schema = eep_schema_load(&st->schema_doc, err, sizeof(err));
	if (st->schema == NULL) {
		host->error(ctx, "eep: %s", err);
		goto out;
	}
	*state = st;
	st = NULL;
	rc = DG_OK;
out:
	eep_fini(st);
	return rc;
}

static const struct dg_plugin eep_plugin = {
    DG_PLUGIN_HEADER,
    .name = "eep",
    .version = EEP_VERSION,
    .summary = "DA/T 48-2009 electronic-record encapsulation packages (.eep): export, verify, import",
    .kind = DG_KIND_EXPORT,
    .flags = DG_PLUGIN_CHECKS_FIXITY | DG_PLUGIN_CONCURRENT,
    .options = eep_options,
    .init = eep_init,
    .fini = eep_fini,
    .process = eep_export_process,
    .bid_locator = eep_bid_locator,
    .scan = eep_scan,
    .export_begin = eep_export_begin,
    .export_end = eep_export_end,
    .verify = eep_verify,
};

DG_PLUGIN_DEFINE(eep_plugin)
