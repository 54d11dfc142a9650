/*
 * xmlsafe.h -- the only way libdangan reads XML.
 *
 * Every document is parsed with network access off and with DOCTYPE
 * declarations refused outright: no DTD means no entity can be
 * declared, so external entities (XXE) and entity expansion bombs
 * ("billion laughs") are stopped at the first '<!DOCTYPE' before
 * anything is read or expanded.  Internal.
 */
#ifndef DG_XMLSAFE_H
#define DG_XMLSAFE_H

#include <libxml/tree.h>

#include "util.h"

/* Largest XML document read (config files, manifests). */
#define DG_XML_MAX_BYTES ((size_t)64 << 20)

/* Call once per process (idempotent, thread-safe). */
void dg_xml_init(void);

/* Parse; on error returns NULL with err = "name:line: message". */
xmlDocPtr dg_xml_read_memory(const char *data, size_t len, const char *name, struct dg_err *err);
xmlDocPtr dg_xml_read_file(const char *path, struct dg_err *err);

/* Validate against a RELAX NG schema file; errors (file:line: msg, one
 * per line) appended to err.  0 valid, -1 invalid or schema error. */
int dg_xml_validate_rng(xmlDocPtr doc, const char *name, const char *schema_path, struct dg_err *err);

#endif
