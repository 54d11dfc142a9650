/*
 * plugins/eep/eep.h -- shared by the files of the EEP plugin (DA/T 48-2009
 * electronic-record encapsulation packages): the instance state, the
 * element names, and the helpers of each file.
 *
 * eep.c         descriptor, options, init/fini
 * eep-export.c  export_begin / process / export_end: one .eep per document
 * eep-verify.c  verify() and the importer (bid_locator / scan)
 * eep-sign.c    C14N, SM2/SM3 signatures, digests, Base64 decoding
 */
#ifndef DG_EEP_H
#define DG_EEP_H

#include <dangan/plugin.h>

#include <libxml/tree.h>
#include <libxml/xmlschemas.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#define EEP_VERSION "0.1.0"
#define EEP_NS "http://www.saac.gov.cn/standards/ERM/encapsulation"
#define EEP_CHUNK ((size_t)65535)     /* read block: a multiple of 3, so chunks of Base64 never pad */
#define EEP_MAX_VERSIONS 64           /* versions wrapped in one 修改型 package */
#define EEP_MAX_FINDINGS 100          /* schema findings reported per package */
#define EEP_NAME_MAX 200              /* bytes of a package file name (before ".eep") */
#define EEP_MAX_PACKAGES 1000000      /* .eep files read from one directory */
#define EEP_SM2_ID "1234567812345678" /* GB/T 35276 default signer ID */
#define EEP_SIG_ALG "SM2-SM3"
#define EEP_SIG_OID "1.2.156.10197.1.501"
#define EEP_FORMAT_DESC "本EEP根据中华人民共和国档案行业标准DA/T 48-2009《基于XML的电子文件封装规范》生成"
#define EEP_TYPE_ORIG "原始型"
#define EEP_TYPE_MOD "修改型"
#define EEP_TYPE_DESC_ORIG "本封装包包含电子文件数据及其元数据，原始封装，未经修改"
#define EEP_TYPE_DESC_MOD "本封装包包含电子文件数据及其元数据，系修改封装，在保留原封装包的基础上，添加了修改层"
#define EEP_DIGEST_TAG "校验值"

/* Instance state: options, the compiled schema, and one export run. */
struct eep_state {
	const struct dg_host *host;
	const char *unit;      /* 封装包创建单位 */
	bool parts_all;        /* derived parts as 附属文档 too */
	bool versions;         /* 修改型 packages for documents with versions */
	bool sm3;              /* 编码描述 records SM3 besides SHA-256 */
	const char *sign_key;  /* PEM private key (SM2), or NULL */
	const char *sign_cert; /* PEM certificate, or NULL */
	const char *signer;    /* 签名人, or NULL: the certificate's subject */
	int64_t max_size;      /* most bytes of a package held in memory */
	xmlSchemaPtr schema;
	xmlDocPtr schema_doc; /* the parsed eep.xsd: lives as long as schema */
	EVP_PKEY *key;
	X509 *cert;
	/* export run */
	char *out;          /* the output directory */
	int out_fd;         /* open on it */
	long counter;       /* documents exported (室编件号 default); taken in turn */
	atomic_long failed; /* packages that failed (process() runs on several threads) */
	bool exported;      /* export_end() done: verify() checks this export's own packages */
};

/* eep-sign.c ---------------------------------------------------------- */

/* SM3 and SHA-256 of a byte stream, fed in pieces.  Once a stream is
 * longer than EEP_DIGEST_THREADED bytes, SM3 (OpenSSL's is several times
 * slower than SHA-256) goes on in a thread of its own, fed copies of the
 * bytes through a few fixed slots, while SHA-256 stays with the caller. */
#define EEP_DIGEST_THREADED ((int64_t)128 << 10)
struct mdthread;
struct eep_digest {
	EVP_MD_CTX *sm3, *sha256;
	int64_t size;
	struct mdthread *worker; /* NULL: SM3 computed by the caller */
};
int eep_digest_init(struct eep_digest *d);
/* SHA-256 alone (the SM3 hex comes out empty). */
int eep_digest_init_sha256(struct eep_digest *d);
int eep_digest_update(struct eep_digest *d, const void *buf, size_t len);
/* Hex (65 bytes each) of both; releases the contexts. */
int eep_digest_final(struct eep_digest *d, char sm3_hex[65], char sha256_hex[65]);
void eep_digest_release(struct eep_digest *d);

/* Base64 decoding of text that comes in pieces (white space ignored;
 * '=' padding only at the end, then nothing but white space).
 * out(arg, buf, len) receives the bytes; returns -1 to stop. */
struct eep_b64 {
	int (*out)(void *arg, const unsigned char *buf, size_t len);
	void *arg;
	int bad;            /* 1 not Base64, 2 out() refused */
	uint32_t acc;       /* bits of the group being read */
	int n;              /* its characters so far (0..3) */
	int pad;            /* '=' seen in it */
	int ended;          /* the padding ended the data */
	unsigned char *buf; /* EEP_B64_OUT */
	size_t len;
};
int eep_b64_init(struct eep_b64 *b, int (*out)(void *, const unsigned char *, size_t), void *arg);
int eep_b64_update(struct eep_b64 *b, const xmlChar *text, size_t len);
int eep_b64_final(struct eep_b64 *b);
void eep_b64_release(struct eep_b64 *b);
/* Decode a whole (small) Base64 string into a malloc'd buffer. */
unsigned char *eep_b64_decode_all(const xmlChar *text, size_t *len);
/* Base64 of a buffer, malloc'd, no line breaks. */
char *eep_b64_encode_all(const unsigned char *buf, size_t len);

/* The C14N mode named in a 签名规则 text (exclusive unless it names
 * inclusive C14N 1.0). */
int eep_c14n_mode(const char *rule);
/*
 * Text spliced into a canonical form.  A tree read by the streaming
 * verifier does not hold the text of its 编码数据: each holds instead a
 * placeholder text "\x01<n>\x02" (a character no XML 1.0 text can
 * contain, so a package cannot forge one).  Where the canonical form
 * meets a placeholder, fill(arg, n, emit, emit_arg) feeds the canonical
 * form of that text, read again from the file, through emit.
 */
struct eep_splice {
	int (*fill)(void *arg, unsigned long n, int (*emit)(void *, const char *, size_t), void *emit_arg);
	void *arg;
};
/* Sign node (and its subtree) in C14N with key; *sig is malloc'd DER;
 * sp NULL for a whole tree. */
int eep_sign_node(xmlDocPtr doc, xmlNodePtr node, int mode, const struct eep_splice *sp, EVP_PKEY *key,
                  unsigned char **sig, size_t *siglen, char *err, size_t errcap);
/* 1 valid, 0 invalid, -1 error (err set); sp NULL for a whole tree. */
int eep_verify_node(xmlDocPtr doc, xmlNodePtr node, int mode, const struct eep_splice *sp, EVP_PKEY *pub,
                    const unsigned char *sig, size_t siglen, char *err, size_t errcap);
/* Load the signing key and certificate (SM2; the certificate's key
 * must match). */
int eep_load_signer(const char *key_path, const char *cert_path, EVP_PKEY **key, X509 **cert, char *err, size_t errcap);
/* The rule text written into 签名规则. */
extern const char eep_sign_rule[];
extern const char eep_lock_rule[];

/* eep-verify.c -------------------------------------------------------- */
/* A package read for signing as the verifier reads one: a tree of all
 * but its 编码数据 text, which stands there as placeholders that the
 * splice fills from the file (max-size bounds the rest).  NULL with err
 * set when it cannot be read. */
struct eep_held;
struct eep_held *eep_hold(struct dg_ctx *ctx, const struct dg_host *host, struct eep_state *st, const char *path,
                          char *err, size_t errcap);
xmlDocPtr eep_held_doc(struct eep_held *h);
const struct eep_splice *eep_held_splice(struct eep_held *h);
const char *eep_held_error(struct eep_held *h); /* why the splice failed, or "" */
void eep_held_free(struct eep_held *h);
int eep_verify(struct dg_ctx *ctx, const struct dg_host *host, void *state, const char *path);
int eep_bid_locator(const char *locator);
int eep_scan(struct dg_ctx *ctx, const struct dg_host *host, void *state, const char *locator);
/* Parse an untrusted package: no DTD, no entities, no network; NULL
 * with err set when refused or not well-formed. */
xmlDocPtr eep_parse_file(const char *path, int64_t max_size, char *err, size_t errcap, int *line);
xmlDocPtr eep_parse_memory(const char *buf, size_t len, char *err, size_t errcap, int *line);
/* Load the schema (DANGAN_DATADIR or the installed data dir); *doc
 * must be freed after the schema. */
xmlSchemaPtr eep_schema_load(xmlDocPtr *doc, char *err, size_t errcap);

/* eep-export.c -------------------------------------------------------- */
int eep_export_begin(struct dg_ctx *ctx, const struct dg_host *host, void *state, const char *out);
int eep_export_process(struct dg_ctx *ctx, const struct dg_host *host, void *state, struct dg_doc *doc);
int eep_export_end(struct dg_ctx *ctx, const struct dg_host *host, void *state);

/* small helpers (eep-sign.c) */
bool eep_is(xmlNodePtr n, const char *name); /* element of the EEP namespace named name */
xmlNodePtr eep_child(xmlNodePtr n, const char *name);
xmlNodePtr eep_next(xmlNodePtr n, const char *name); /* next sibling element of that name */
char *eep_text(xmlNodePtr n);                        /* trimmed text content, malloc'd ("" if none) */

#endif
