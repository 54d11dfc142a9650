/*
 * doctype.h -- document-type definitions: loading a catalogue.
 *
 * A catalogue is a directory of definition files (schema
 * config/doctype.rng, namespace urn:dangan:doctype:1).  Loading one
 * reads every *.xml in it (in name order), parses each with the network
 * off and DOCTYPE declarations refused (so no entity is ever declared or
 * expanded), validates it against the schema, and compiles every
 * pattern with PCRE2 in UTF mode.  Anything wrong stops the load with
 * "FILE:LINE: reason" in err.  The loaded catalogue is read only: any
 * number of threads may match with it at once (each with its own
 * pcre2_match_data).
 *
 * Used by the classify plugin and by tests/fuzz/fuzz-doctype.c; other
 * plugins that need the definitions (a dossier check reading the
 * filing scopes) may compile it in as well.
 */
#ifndef DG_CLASSIFY_DOCTYPE_H
#define DG_CLASSIFY_DOCTYPE_H

#include <stddef.h>
#include <stdint.h>

#ifndef PCRE2_CODE_UNIT_WIDTH
#define PCRE2_CODE_UNIT_WIDTH 8
#endif
#include <pcre2.h>

#define DG_DOCTYPE_NS "urn:dangan:doctype:1"
/* The code of "no type of the catalogue"; a definition may not use it. */
#define DG_DOCTYPE_OTHER "OTHER"

/* Hard limits. */
#define DG_DOCTYPE_MAX_FILE_BYTES ((size_t)4 << 20)
#define DG_DOCTYPE_MAX_FILES 1000
#define DG_DOCTYPE_MAX_TYPES 2000
#define DG_DOCTYPE_MAX_CUES 500
#define DG_DOCTYPE_MAX_FIELDS 100
#define DG_DOCTYPE_MAX_EXTRACTORS 50
#define DG_DOCTYPE_MAX_VALIDATORS 20
#define DG_DOCTYPE_MAX_SCOPES 500
#define DG_DOCTYPE_MAX_PATTERN 4096
/* PCRE2 limits of every match (per pcre2_match call). */
#define DG_DOCTYPE_MATCH_LIMIT 1000000u
#define DG_DOCTYPE_DEPTH_LIMIT 10000u
#define DG_DOCTYPE_HEAP_LIMIT_KIB 65536u

enum dg_cue_kind { DG_CUE_TITLE = 1, DG_CUE_KEYWORD, DG_CUE_REGEX, DG_CUE_NEGATIVE };

struct dg_cue {
	enum dg_cue_kind kind;
	double weight;
	int literal;  /* a literal (keyword, negative): matched on the compact text only */
	char *source; /* as written in the definition */
	pcre2_code *re;
};

enum dg_field_type { DG_FIELD_TEXT = 1, DG_FIELD_DATE, DG_FIELD_AMOUNT, DG_FIELD_KVA, DG_FIELD_NUMBER };

/* A way to find a field's value: a label followed by the value, or a
 * regex; group is the number of the capture named "value". */
struct dg_extractor {
	pcre2_code *re;
	uint32_t group;
	int label; /* made from a <label> */
	char *source;
};

struct dg_validator {
	pcre2_code *re; /* pattern, or NULL */
	char *pattern;
	char *min, *max; /* as written, or NULL */
	double min_v, max_v;
};

struct dg_field {
	char *name; /* the metadata key */
	enum dg_field_type type;
	int required;
	int first;       /* on-ambiguity="first": two values -> the first is written */
	pcre2_code *vre; /* the value pattern alone (<value> or the type's), or NULL */
	int date_order;  /* enum dg_date_order (textnorm.h) */
	struct dg_extractor *ex;
	size_t nex;
	struct dg_validator *val;
	size_t nval;
};

struct dg_doctype {
	char *code;
	char *name;    /* lang zh, else the first name */
	char *name_en; /* lang en, or NULL */
	char *category, *retention;
	char *file;
	long line;
	struct dg_cue *cues;
	size_t ncues;
	struct dg_field *fields;
	size_t nfields;
	/* every field's labels alone: a value found after a label is cut
	 * where one of them begins (the compact text glues the next
	 * "户号:" onto a name) */
	pcre2_code **cuts;
	size_t ncuts, capcuts;
};

struct dg_scope {
	char *business;
	char **types;
	size_t ntypes;
	char *file;
	long line;
};

struct dg_catalogue {
	char *name; /* the catalogue attribute, else the directory's name */
	struct dg_doctype *types;
	size_t ntypes, captypes;
	struct dg_scope *scopes;
	size_t nscopes, capscopes;
	size_t nfiles;
	uint32_t max_captures; /* most capturing groups of any pattern */
	int jit;
};

const char *dg_field_type_name(enum dg_field_type t);

/* The schema, parsed once.  NULL with err set on failure. */
struct dg_doctype_schema;
struct dg_doctype_schema *dg_doctype_schema_load(const char *path, char *err, size_t cap);
void dg_doctype_schema_free(struct dg_doctype_schema *s);

/* An empty catalogue; jit: JIT-compile the patterns when PCRE2 can. */
struct dg_catalogue *dg_catalogue_new(int jit);
/* Add the definitions of one file (path) or of bytes in memory (name:
 * how errors name it).  On error the catalogue may hold part of the
 * file: free it. */
int dg_catalogue_add_file(struct dg_catalogue *c, const char *path, const struct dg_doctype_schema *s, char *err,
                          size_t cap);
int dg_catalogue_add_memory(struct dg_catalogue *c, const char *data, size_t len, const char *name,
                            const struct dg_doctype_schema *s, char *err, size_t cap);
/* After the last file: check that every scope names a defined type. */
int dg_catalogue_finish(struct dg_catalogue *c, char *err, size_t cap);
/* All of the above for a directory. */
struct dg_catalogue *dg_catalogue_load_dir(const char *dir, const struct dg_doctype_schema *s, int jit, char *err,
                                           size_t cap);
void dg_catalogue_free(struct dg_catalogue *c);

const struct dg_doctype *dg_catalogue_find(const struct dg_catalogue *c, const char *code);

#endif
