/*
 * plugins/eark/eark.h -- shared by the E-ARK export (eark.c), its
 * verifier (verify.c) and the helpers (util.c).
 */
#ifndef DG_EARK_H
#define DG_EARK_H

#include <dangan/plugin.h>

#include <stdint.h>
#include <stdio.h>

#include <libxml/xmlschemas.h>
#include <libxml/xmlwriter.h>
#include <openssl/evp.h>

#define DG_EARK_CHUNK ((size_t)64 * 1024)   /* copy and hash block */
#define DG_EARK_NAME_MAX ((size_t)200)      /* bytes of a file name we create */
#define DG_EARK_PATH_MAX ((size_t)4096)     /* package-relative path */
#define DG_EARK_VALUE_MAX ((size_t)1 << 20) /* bytes of one metadata value exported */

/* XML namespaces. */
#define DG_EARK_NS_METS "http://www.loc.gov/METS/"
#define DG_EARK_NS_XLINK "http://www.w3.org/1999/xlink"
#define DG_EARK_NS_XSI "http://www.w3.org/2001/XMLSchema-instance"
#define DG_EARK_NS_CSIP "https://DILCIS.eu/XML/METS/CSIPExtensionMETS"
#define DG_EARK_NS_CSIP_LC "https://dilcis.eu/XML/METS/CSIPExtensionMETS" /* older producers */
#define DG_EARK_NS_SIP "https://DILCIS.eu/XML/METS/SIPExtensionMETS"
#define DG_EARK_NS_PREMIS "http://www.loc.gov/premis/v3"
#define DG_EARK_NS_DC "http://purl.org/dc/elements/1.1/"
#define DG_EARK_NS_DANGAN "urn:dangan:eark:metadata:1"

#define DG_EARK_PROFILE_SIP "https://earksip.dilcis.eu/profile/E-ARK-SIP.xml"

/* The schemas shipped under DATADIR/schemas/eark and copied into every
 * package's schemas/ folder. */
#define DG_EARK_SCHEMA_DIR "schemas/eark"
#define DG_EARK_METS_XSD "mets.xsd"

/* An output file being written, hashed (SHA-256) and counted as it
 * goes.  Used for the data copies and, through dg_eark_sink_writer(),
 * for every XML file the export generates. */
struct dg_eark_sink {
	int fd;
	EVP_MD_CTX *md;
	int64_t size;
	int failed; /* a write failed (errno kept in err) */
	int err;
};

int dg_eark_sink_open(struct dg_eark_sink *s, int dirfd, const char *name);
int dg_eark_sink_write(struct dg_eark_sink *s, const void *buf, size_t len);
/* Close; the SHA-256 as lower-case hex.  0 on success.  (The export
 * syncs the whole package once at the end.) */
int dg_eark_sink_finish(struct dg_eark_sink *s, char hex[65]);
void dg_eark_sink_abort(struct dg_eark_sink *s);
/* An xmlTextWriter writing into the sink (indented, UTF-8). */
xmlTextWriterPtr dg_eark_sink_writer(struct dg_eark_sink *s);

/* A heap copy of s made fit for XML text: invalid UTF-8 and characters
 * XML 1.0 forbids become U+FFFD, at most max bytes (cut on a character
 * boundary).  NULL only when out of memory. */
char *dg_eark_xml_clean(const char *s, size_t max);
/* A file name made from untrusted text: no '/', '\\', control or
 * XML-forbidden characters, not "." or "..", at most DG_EARK_NAME_MAX
 * bytes (the extension kept when the name is cut); fallback when
 * nothing usable is left. */
char *dg_eark_file_name(const char *s, const char *fallback);
/* A relative path as a URI reference: bytes that may not appear in a
 * URI path (space, '#', '%', '?', controls, ...) percent-encoded; UTF-8
 * left as is (an IRI, as xs:anyURI allows). */
char *dg_eark_uri_path(const char *path);

/* xs:dateTime in UTC ("2026-05-01T09:30:00Z") of microseconds since the
 * epoch. */
void dg_eark_time(int64_t us, char buf[32]);
void dg_eark_hex(const unsigned char *d, unsigned n, char *out);

/* CSIP vocabularies: content categories (mets/@TYPE); content
 * information types the export writes (accepted by the 2.0 and the 2.2
 * extension schemas) and every 2.2 term (what verify accepts). */
extern const char *const dg_eark_categories[];
extern const char *const dg_eark_cits[];
extern const char *const dg_eark_cits_all[];
int dg_eark_in(const char *const *list, const char *v);

/* DATADIR (DANGAN_DATADIR overrides). */
const char *dg_eark_datadir(void);

/* Open path (relative to dirfd) for reading without following a
 * symbolic link in any component; -1 with errno (ELOOP for a link). */
int dg_eark_open_beneath(int dirfd, const char *path, int directory);

/* The verifier (verify.c).  cache: where the compiled METS schema is
 * kept between calls (freed by dg_eark_verify_free). */
int dg_eark_verify(struct dg_ctx *ctx, const struct dg_host *host, xmlSchemaPtr *cache, const char *path);
void dg_eark_verify_free(xmlSchemaPtr *cache);

#endif
