/*
 * plugins/eark/verify.c -- check an E-ARK (CSIP 2.x) information
 * package, any producer's: `dangan verify-eark PATH`.
 *
 * The package METS.xml and each representations/<rep>/METS.xml are read
 * once, streaming (xmlTextReader, network off, a DOCTYPE refused so no
 * entity is ever expanded), validated against the METS 1.12 schema
 * with the CSIP/SIP extension schemas (DATADIR/schemas/eark) while they
 * are read, and checked against the CSIP requirements that can be
 * checked on the METS (findings carry the requirement id: "CSIP7",
 * "CSIP59", ...).  Every file a METS points at (fileSec FLocat, mdRef)
 * must lie inside the package (no absolute path, no "..", no symbolic
 * link on the way), exist and match its SIZE and CHECKSUM (MD5, SHA-1,
 * SHA-256, SHA-384, SHA-512).  Then the package is walked: a file under
 * representations/ that no METS lists is an error, elsewhere a warning.
 *
 * Own codes: EARK-XML (not well-formed, DOCTYPE), EARK-XSD (schema),
 * EARK-HREF (a reference that is not a relative path inside the
 * package), EARK-MISSING, EARK-SIZE, EARK-CHECKSUM, EARK-CHECKSUMTYPE,
 * EARK-SYMLINK, EARK-FILETYPE, EARK-UNLISTED, EARK-DUP, EARK-NS,
 * EARK-LIMIT; CSIPSTR1/CSIPSTR4 for the folder and its METS.xml.
 *
 * Memory grows with the number of files listed (their paths, to find
 * unlisted ones), never with file or METS size.
 */
#include <config.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libxml/xmlreader.h>

#include "eark.h"

#define DG_EARK_V_FINDINGS_MAX 2000         /* findings shown, then summed up */
#define DG_EARK_V_XML_ERRORS 50             /* XML/XSD errors shown per METS */
#define DG_EARK_V_LISTED_MAX 4000000        /* files listed in all METS */
#define DG_EARK_V_REPS_MAX 10000            /* representation METS verified */
#define DG_EARK_V_WALK_DEPTH 64             /* folder depth walked */
#define DG_EARK_V_WALK_MAX 10000000         /* entries walked */
#define DG_EARK_V_DEPTH_MAX 256             /* element depth in a METS */
#define DG_EARK_V_TEXT_MAX 1024             /* agent name/note text kept */
#define DG_EARK_V_GROUPS_MAX 32             /* nested fileGrp */
#define DG_EARK_V_RECHECKS 4                /* other claims on a file listed again, read again */
#define DG_EARK_V_METS_MAX ((off_t)4 << 30) /* bytes of one METS.xml */

/* A set of strings (open addressing), each with the number of the METS
 * file that added it. */
struct dg_eark_slot {
	char *s;
	int owner;
	char *claim;  /* CHECKSUMTYPE:CHECKSUM:SIZE first checked */
	int rechecks; /* other claims checked since */
};

struct dg_eark_set {
	struct dg_eark_slot *slot;
	size_t cap, n;
};

struct dg_eark_v {
	struct dg_ctx *ctx;
	const struct dg_host *host;
	int rootfd;
	struct dg_eark_set listed;   /* package-relative paths the METS files list */
	struct dg_eark_set verified; /* METS files read */
	xmlSchemaPtr schema;
	unsigned char *buf;
	int64_t findings, errors, warnings, hidden_errors, hidden;
	int64_t files_ok, bytes_ok;
	int64_t walked; /* entries walked */
	int64_t mets_read;
	int incomplete; /* a METS could not be read through: no unlisted check */
	int limit;      /* a limit was hit */
};

enum dg_eark_el {
	EL_NONE = 0,
	EL_FOREIGN,
	EL_OTHER,
	EL_METS,
	EL_HDR,
	EL_AGENT,
	EL_NAME,
	EL_NOTE,
	EL_DMD,
	EL_AMD,
	EL_DIGIPROV,
	EL_RIGHTS,
	EL_TECH,
	EL_SOURCE,
	EL_MDREF,
	EL_FILESEC,
	EL_FILEGRP,
	EL_FILE,
	EL_FLOCAT,
	EL_STRUCTMAP,
	EL_DIV,
	EL_MPTR
};

static const struct {
	const char *name;
	enum dg_eark_el el;
} dg_eark_els[] = {
    {"mets", EL_METS},           {"metsHdr", EL_HDR},     {"agent", EL_AGENT},     {"name", EL_NAME},
    {"note", EL_NOTE},           {"dmdSec", EL_DMD},      {"amdSec", EL_AMD},      {"digiprovMD", EL_DIGIPROV},
    {"rightsMD", EL_RIGHTS},     {"techMD", EL_TECH},     {"sourceMD", EL_SOURCE}, {"mdRef", EL_MDREF},
    {"fileSec", EL_FILESEC},     {"fileGrp", EL_FILEGRP}, {"file", EL_FILE},       {"FLocat", EL_FLOCAT},
    {"structMap", EL_STRUCTMAP}, {"div", EL_DIV},         {"mptr", EL_MPTR},       {NULL, EL_NONE},
};

/* What a reference to a file carries (file or mdRef). */
struct dg_eark_ref {
	int line;
	char *id;
	char *mime;
	char *size;
	char *created;
	char *checksum;
	char *checksumtype;
	char *href;
	int flocats;
};

/* One METS file being read. */
struct dg_eark_m {
	struct dg_eark_v *v;
	int id;                      /* 1, 2, ... in the order read */
	char rel[DG_EARK_PATH_MAX];  /* its package-relative path */
	char base[DG_EARK_PATH_MAX]; /* its folder ("" for the package) */
	int is_rep;
	xmlTextReaderPtr r;
	int xml_errors, broken, lc_ns;
	char generic[256]; /* what libxml2 said outside the structured errors */
	enum dg_eark_el stack[DG_EARK_V_DEPTH_MAX];
	/* what was seen */
	int has_hdr, has_filesec, has_structmap, csip_maps, has_sw_agent;
	int grp_doc, grp_schemas, grp_reps;
	int div_metadata, div_reps;
	/* the agent being read */
	int agent_sw, agent_line, agent_names, agent_notes, agent_note_sv;
	char agent_name[DG_EARK_V_TEXT_MAX], agent_note[DG_EARK_V_TEXT_MAX];
	/* fileGrp nesting: files counted per open group */
	int groups;
	int64_t group_files[DG_EARK_V_GROUPS_MAX];
	int group_line[DG_EARK_V_GROUPS_MAX];
	/* the file being read */
	int in_file;
	struct dg_eark_ref file;
	/* the CSIP structMap being read (its depth, or -1) */
	int sm_depth;
};

/* ---- findings ---------------------------------------------------------- */

static void dg_eark_find(struct dg_eark_v *v, enum dg_finding_level lvl, const char *code, const char *where,
                         const char *fmt, ...) DG_PRINTF(5, 6);

static void
dg_eark_find(struct dg_eark_v *v, enum dg_finding_level lvl, const char *code, const char *where, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (lvl == DG_FINDING_ERROR)
		v->errors++;
	else if (lvl == DG_FINDING_WARN)
		v->warnings++;
	if (v->findings >= DG_EARK_V_FINDINGS_MAX) {
		v->hidden++;
		if (lvl == DG_FINDING_ERROR)
			v->hidden_errors++;
		return;
	}
	v->findings++;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (DG_HOST_HAS(v->host, finding) && v->host->finding)
		v->host->finding(v->ctx, lvl, code, where, "%s", msg);
	else
		v->host->log(v->ctx, lvl == DG_FINDING_ERROR ? DG_LOG_ERROR : DG_LOG_WARN, "%s %s: %s",
		             code ? code : "-", where ? where : "-", msg);
}

/* "METS.xml:12" */
static const char *
dg_eark_at(struct dg_eark_m *m, int line, char *buf, size_t cap)
{
	if (line > 0)
		snprintf(buf, cap, "%s:%d", m->rel, line);
	else
		snprintf(buf, cap, "%s", m->rel);
	return buf;
}

static void dg_eark_mfind(struct dg_eark_m *m, int line, enum dg_finding_level lvl, const char *code, const char *fmt,
                          ...) DG_PRINTF(5, 6);

static void
dg_eark_mfind(struct dg_eark_m *m, int line, enum dg_finding_level lvl, const char *code, const char *fmt, ...)
{
	char msg[1024], where[DG_EARK_PATH_MAX + 16];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	dg_eark_find(m->v, lvl, code, dg_eark_at(m, line, where, sizeof(where)), "%s", msg);
}

/* ---- a string set ------------------------------------------------------ */

static size_t
dg_eark_hash(const char *s)
{
	size_t h = 1469598103934665603u;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211u;
	return h;
}

/* 1 added, 0 already added by the same owner, 2 already added by
 * another, -1 out of memory or full.  *slot: the entry. */
static int
dg_eark_set_add(struct dg_eark_set *set, const char *s, int owner, struct dg_eark_slot **slot)
{
	size_t i;

	if (set->n + 1 > set->cap / 2) {
		size_t ncap = set->cap ? set->cap * 2 : 256, k;
		struct dg_eark_slot *ns;

		if (set->n >= DG_EARK_V_LISTED_MAX)
			return -1;
		ns = calloc(ncap, sizeof(*ns));
		if (!ns)
			return -1;
		for (k = 0; k < set->cap; k++) {
			if (!set->slot[k].s)
				continue;
			i = dg_eark_hash(set->slot[k].s) & (ncap - 1);
			while (ns[i].s)
				i = (i + 1) & (ncap - 1);
			ns[i] = set->slot[k];
		}
		free(set->slot);
		set->slot = ns;
		set->cap = ncap;
	}
	i = dg_eark_hash(s) & (set->cap - 1);
	while (set->slot[i].s) {
		if (strcmp(set->slot[i].s, s) == 0) {
			if (slot)
				*slot = &set->slot[i];
			return set->slot[i].owner == owner ? 0 : 2;
		}
		i = (i + 1) & (set->cap - 1);
	}
	set->slot[i].s = strdup(s);
	if (!set->slot[i].s)
		return -1;
	set->slot[i].owner = owner;
	set->n++;
	if (slot)
		*slot = &set->slot[i];
	return 1;
}

static int
dg_eark_set_has(const struct dg_eark_set *set, const char *s)
{
	size_t i;

	if (!set->cap)
		return 0;
	i = dg_eark_hash(s) & (set->cap - 1);
	while (set->slot[i].s) {
		if (strcmp(set->slot[i].s, s) == 0)
			return 1;
		i = (i + 1) & (set->cap - 1);
	}
	return 0;
}

static void
dg_eark_set_free(struct dg_eark_set *set)
{
	size_t i;

	for (i = 0; i < set->cap; i++) {
		free(set->slot[i].s);
		free(set->slot[i].claim);
	}
	free(set->slot);
	memset(set, 0, sizeof(*set));
}

/* ---- references -------------------------------------------------------- */

/* Resolve a reference (xlink:href) against the METS file's folder into a
 * package-relative path.  plus_as_space: read '+' as a space (a
 * producer that form-encoded its paths).  NULL or the reason. */
static const char *
dg_eark_resolve(const char *base, const char *href, int plus_as_space, char *out, size_t cap)
{
	char dec[DG_EARK_PATH_MAX];
	size_t n = 0, i, o = 0, seg[DG_EARK_PATH_MAX / 2], nseg = 0;
	const char *p;

	if (!*href)
		return "an empty reference";
	for (p = href; *p && *p != '/' && *p != ':'; p++)
		;
	if (*p == ':' && p != href)
		return "not a relative reference (a URI scheme)";
	if (strchr(href, '?') || strchr(href, '#'))
		return "a query or fragment in a file reference";
	for (i = 0; href[i]; i++) {
		unsigned char c = (unsigned char)href[i];
		if (n + 1 >= sizeof(dec))
			return "too long";
		if (c == '%') {
			int hi, lo;
			char h[3] = {0, 0, 0};
			if (!href[i + 1] || !href[i + 2])
				return "a broken percent-encoding";
			h[0] = href[i + 1];
			h[1] = href[i + 2];
			hi = (int)strspn(h, "0123456789abcdefABCDEF");
			if (hi != 2)
				return "a broken percent-encoding";
			lo = (int)strtol(h, NULL, 16);
			if (lo == 0)
				return "an encoded NUL";
			dec[n++] = (char)lo;
			i += 2;
		} else if (c == '+' && plus_as_space) {
			dec[n++] = ' ';
		} else {
			dec[n++] = (char)c;
		}
	}
	dec[n] = '\0';
	if (dec[0] == '/')
		return "an absolute path";
	if (strchr(dec, '\\'))
		return "a backslash in a path";
	/* base/dec, segment by segment */
	if (strlen(base) + n + 2 > cap)
		return "too long";
	o = 0;
	for (int pass = 0; pass < 2; pass++) {
		const char *s = pass == 0 ? base : dec;
		while (*s) {
			size_t len = strcspn(s, "/");
			if (len == 0 || (len == 1 && s[0] == '.')) {
				/* nothing */
			} else if (len == 2 && s[0] == '.' && s[1] == '.') {
				if (nseg == 0)
					return "a path that leaves the package";
				o = seg[--nseg];
			} else {
				if (nseg >= sizeof(seg) / sizeof(seg[0]))
					return "too deep";
				seg[nseg++] = o;
				if (o)
					out[o++] = '/';
				memcpy(out + o, s, len);
				o += len;
			}
			s += len;
			if (*s == '/')
				s++;
		}
	}
	out[o] = '\0';
	if (o == 0)
		return "a reference to the package folder itself";
	return NULL;
}

static const EVP_MD *
dg_eark_md(const char *type)
{
	static const struct {
		const char *mets, *ossl;
	} map[] = {
	    {"MD5", "MD5"},        {"SHA-1", "SHA1"},     {"SHA-256", "SHA256"},
	    {"SHA-384", "SHA384"}, {"SHA-512", "SHA512"}, {NULL, NULL},
	};
	size_t i;

	for (i = 0; type && map[i].mets; i++)
		if (strcasecmp(type, map[i].mets) == 0)
			return EVP_get_digestbyname(map[i].ossl);
	return NULL;
}

/* Check what a reference points at; lists it. */
static void
dg_eark_check_ref(struct dg_eark_m *m, const struct dg_eark_ref *ref, const char *what)
{
	struct dg_eark_v *v = m->v;
	char path[DG_EARK_PATH_MAX], alt[DG_EARK_PATH_MAX], where[DG_EARK_PATH_MAX + 16], claim[300];
	struct dg_eark_slot *slot = NULL;
	const char *why, *use = path;
	const EVP_MD *md = NULL;
	EVP_MD_CTX *mc = NULL;
	struct stat sb;
	int fd = -1, added, oerr;
	int64_t size = 0;

	if (!ref->href)
		return; /* reported by the caller */
	why = dg_eark_resolve(m->base, ref->href, 0, path, sizeof(path));
	if (why) {
		dg_eark_mfind(m, ref->line, DG_FINDING_ERROR, "EARK-HREF", "%s \"%.200s\": %s", what, ref->href, why);
		return;
	}
	fd = dg_eark_open_beneath(v->rootfd, path, 0);
	if (fd < 0 && errno == ENOENT && strchr(ref->href, '+') &&
	    !dg_eark_resolve(m->base, ref->href, 1, alt, sizeof(alt))) {
		int fd2 = dg_eark_open_beneath(v->rootfd, alt, 0);
		if (fd2 >= 0) {
			fd = fd2;
			use = alt;
		} else {
			errno = ENOENT;
		}
	}
	oerr = fd < 0 ? errno : 0;
	added = dg_eark_set_add(&v->listed, use, m->id, &slot);
	if (added < 0) {
		if (!v->limit)
			dg_eark_find(v, DG_FINDING_ERROR, "EARK-LIMIT", m->rel,
			             "more than %d files listed; not checked", DG_EARK_V_LISTED_MAX);
		v->limit = 1;
		goto out;
	}
	if (added == 0)
		dg_eark_find(v, DG_FINDING_WARN, "EARK-DUP", use, "listed more than once (%s)",
		             dg_eark_at(m, ref->line, where, sizeof(where)));
	/* a file listed again is read again only for a claim not yet
	 * checked, and only a few times: a METS listing one large file a
	 * million times must not make us read it a million times */
	snprintf(claim, sizeof(claim), "%.40s:%.200s:%.40s", ref->checksumtype ? ref->checksumtype : "",
	         ref->checksum ? ref->checksum : "", ref->size ? ref->size : "");
	if (added == 1) {
		slot->claim = strdup(claim);
	} else if (slot->claim && strcmp(slot->claim, claim) == 0) {
		goto out;
	} else if (++slot->rechecks > DG_EARK_V_RECHECKS) {
		if (slot->rechecks == DG_EARK_V_RECHECKS + 1)
			dg_eark_find(v, DG_FINDING_WARN, "EARK-LIMIT", use,
			             "listed with more than %d different sizes or checksums: not read again",
			             DG_EARK_V_RECHECKS);
		goto out;
	}
	if (fd < 0) {
		int e = oerr;
		if (e == ENOENT)
			dg_eark_find(v, DG_FINDING_ERROR, "EARK-MISSING", use, "%s listed in %s does not exist", what,
			             dg_eark_at(m, ref->line, where, sizeof(where)));
		else if (e == ELOOP || e == ENOTDIR)
			dg_eark_find(v, DG_FINDING_ERROR, "EARK-SYMLINK", use,
			             "a symbolic link (or not a folder) on the way: refused");
		else if (e == EINVAL)
			dg_eark_find(v, DG_FINDING_ERROR, "EARK-FILETYPE", use, "not a regular file");
		else
			dg_eark_find(v, DG_FINDING_ERROR, "EARK-MISSING", use, "cannot be opened: %s", strerror(e));
		goto out;
	}
	if (fstat(fd, &sb) != 0)
		goto out;
	if (ref->checksum && ref->checksumtype) {
		md = dg_eark_md(ref->checksumtype);
		if (!md)
			dg_eark_find(v, DG_FINDING_WARN, "EARK-CHECKSUMTYPE", use, "CHECKSUMTYPE %.40s is not checked",
			             ref->checksumtype);
	}
	if (md) {
		mc = EVP_MD_CTX_new();
		if (!mc || EVP_DigestInit_ex(mc, md, NULL) != 1)
			goto out;
		for (;;) {
			ssize_t n = read(fd, v->buf, DG_EARK_CHUNK);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0) {
				dg_eark_find(v, DG_FINDING_ERROR, "EARK-MISSING", use, "read error: %s",
				             strerror(errno));
				goto out;
			}
			if (n == 0)
				break;
			EVP_DigestUpdate(mc, v->buf, (size_t)n);
			size += n;
		}
	} else {
		size = (int64_t)sb.st_size;
	}
	if (ref->size) {
		char *end = NULL;
		long long want;
		errno = 0;
		want = strtoll(ref->size, &end, 10);
		if (errno || !end || *end || end == ref->size)
			dg_eark_mfind(m, ref->line, DG_FINDING_ERROR, "EARK-SIZE", "SIZE \"%.40s\" is not a number",
			              ref->size);
		else if (want != size)
			dg_eark_find(v, DG_FINDING_ERROR, "EARK-SIZE", use, "%" PRId64 " bytes, METS says %lld (%s)",
			             size, want, dg_eark_at(m, ref->line, where, sizeof(where)));
	}
	if (md) {
		unsigned char d[EVP_MAX_MD_SIZE];
		unsigned int dn = 0;
		char hex[2 * EVP_MAX_MD_SIZE + 1];
		if (EVP_DigestFinal_ex(mc, d, &dn) != 1)
			goto out;
		dg_eark_hex(d, dn, hex);
		if (strcasecmp(hex, ref->checksum) != 0) {
			dg_eark_find(v, DG_FINDING_ERROR, "EARK-CHECKSUM", use, "%s %s, METS says %.130s (%s)",
			             ref->checksumtype, hex, ref->checksum,
			             dg_eark_at(m, ref->line, where, sizeof(where)));
			goto out;
		}
		v->files_ok++;
		v->bytes_ok += size;
	}
out:
	EVP_MD_CTX_free(mc);
	if (fd >= 0)
		close(fd);
}

/* ---- reading a METS ---------------------------------------------------- */

static char *
dg_eark_get(struct dg_eark_m *m, const char *name, const char *ns)
{
	return (char *)xmlTextReaderGetAttributeNs(m->r, BAD_CAST name, ns ? BAD_CAST ns : NULL);
}

/* A csip: attribute (also under the lower-case namespace some
 * producers wrote). */
static char *
dg_eark_csip(struct dg_eark_m *m, const char *name)
{
	char *s = dg_eark_get(m, name, DG_EARK_NS_CSIP);

	if (!s) {
		s = dg_eark_get(m, name, DG_EARK_NS_CSIP_LC);
		if (s && !m->lc_ns) {
			m->lc_ns = 1;
			dg_eark_mfind(m, xmlTextReaderGetParserLineNumber(m->r), DG_FINDING_WARN, "EARK-NS",
			              "csip: attributes in the namespace %s; the CSIP namespace is %s",
			              DG_EARK_NS_CSIP_LC, DG_EARK_NS_CSIP);
		}
	}
	return s;
}

/* Report a missing or empty attribute; 1 when present. */
static int
dg_eark_need(struct dg_eark_m *m, int line, const char *value, enum dg_finding_level lvl, const char *code,
             const char *what)
{
	if (value && *value)
		return 1;
	dg_eark_mfind(m, line, lvl, code, "%s is missing", what);
	return 0;
}

static void
dg_eark_ref_free(struct dg_eark_ref *ref)
{
	xmlFree(ref->id);
	xmlFree(ref->mime);
	xmlFree(ref->size);
	xmlFree(ref->created);
	xmlFree(ref->checksum);
	xmlFree(ref->checksumtype);
	xmlFree(ref->href);
	memset(ref, 0, sizeof(*ref));
}

static void
dg_eark_root(struct dg_eark_m *m, int line)
{
	char *objid = dg_eark_get(m, "OBJID", NULL), *type = dg_eark_get(m, "TYPE", NULL);
	char *othertype = dg_eark_csip(m, "OTHERTYPE"), *cit = dg_eark_csip(m, "CONTENTINFORMATIONTYPE");
	char *ocit = dg_eark_csip(m, "OTHERCONTENTINFORMATIONTYPE"), *profile = dg_eark_get(m, "PROFILE", NULL);

	dg_eark_need(m, line, objid, DG_FINDING_ERROR, "CSIP1", "mets/@OBJID");
	if (dg_eark_need(m, line, type, DG_FINDING_ERROR, "CSIP2", "mets/@TYPE (content category)")) {
		if (!dg_eark_in(dg_eark_categories, type))
			dg_eark_mfind(m, line, DG_FINDING_WARN, "CSIP2",
			              "mets/@TYPE \"%.100s\" is not in the CSIP content category vocabulary", type);
		else if (strcmp(type, "Other") == 0 && !(othertype && *othertype))
			dg_eark_mfind(m, line, DG_FINDING_WARN, "CSIP3", "mets/@TYPE is Other without csip:OTHERTYPE");
	}
	if (!cit) {
		dg_eark_mfind(m, line, m->is_rep ? DG_FINDING_ERROR : DG_FINDING_WARN, "CSIP4",
		              "mets/@csip:CONTENTINFORMATIONTYPE is missing%s",
		              m->is_rep ? " (mandatory in a representation METS)" : "");
	} else if (!dg_eark_in(dg_eark_cits_all, cit)) {
		dg_eark_mfind(m, line, DG_FINDING_WARN, "CSIP4",
		              "csip:CONTENTINFORMATIONTYPE \"%.100s\" is not in the CSIP vocabulary", cit);
	} else if (strcmp(cit, "OTHER") == 0 && !(ocit && *ocit)) {
		dg_eark_mfind(m, line, DG_FINDING_ERROR, "CSIP5",
		              "csip:CONTENTINFORMATIONTYPE is OTHER without csip:OTHERCONTENTINFORMATIONTYPE");
	}
	dg_eark_need(m, line, profile, DG_FINDING_ERROR, "CSIP6", "mets/@PROFILE");
	xmlFree(objid);
	xmlFree(type);
	xmlFree(othertype);
	xmlFree(cit);
	xmlFree(ocit);
	xmlFree(profile);
}

static void
dg_eark_hdr(struct dg_eark_m *m, int line)
{
	char *created = dg_eark_get(m, "CREATEDATE", NULL), *pt = dg_eark_csip(m, "OAISPACKAGETYPE");

	m->has_hdr = 1;
	dg_eark_need(m, line, created, DG_FINDING_ERROR, "CSIP7", "metsHdr/@CREATEDATE");
	if (dg_eark_need(m, line, pt, DG_FINDING_ERROR, "CSIP9", "metsHdr/@csip:OAISPACKAGETYPE") &&
	    !strstr("|SIP|AIP|DIP|AIU|AIC|", pt))
		dg_eark_mfind(m, line, DG_FINDING_ERROR, "CSIP9",
		              "csip:OAISPACKAGETYPE \"%.40s\" is not SIP, AIP, DIP, AIU or AIC", pt);
	xmlFree(created);
	xmlFree(pt);
}

static void
dg_eark_agent_start(struct dg_eark_m *m, int line)
{
	char *role = dg_eark_get(m, "ROLE", NULL), *type = dg_eark_get(m, "TYPE", NULL);
	char *ot = dg_eark_get(m, "OTHERTYPE", NULL);

	m->agent_sw = role && type && ot && strcmp(role, "CREATOR") == 0 && strcmp(type, "OTHER") == 0 &&
	              strcmp(ot, "SOFTWARE") == 0;
	m->agent_line = line;
	m->agent_names = m->agent_notes = m->agent_note_sv = 0;
	m->agent_name[0] = m->agent_note[0] = '\0';
	xmlFree(role);
	xmlFree(type);
	xmlFree(ot);
}

static void
dg_eark_agent_end(struct dg_eark_m *m)
{
	if (!m->agent_sw)
		return;
	m->has_sw_agent = 1;
	if (m->agent_names != 1 || !m->agent_name[strspn(m->agent_name, " \t\r\n")])
		dg_eark_mfind(m, m->agent_line, DG_FINDING_ERROR, "CSIP14",
		              "the software agent needs one non-empty name (the software)");
	if (m->agent_notes != 1 || !m->agent_note[strspn(m->agent_note, " \t\r\n")])
		dg_eark_mfind(m, m->agent_line, DG_FINDING_ERROR, "CSIP15",
		              "the software agent needs one non-empty note (the software version)");
	if (!m->agent_note_sv)
		dg_eark_mfind(m, m->agent_line, DG_FINDING_ERROR, "CSIP16",
		              "the software agent's note needs csip:NOTETYPE=\"SOFTWARE VERSION\"");
}

/* mdRef (in dmdSec, digiprovMD, rightsMD, techMD, sourceMD). */
static void
dg_eark_mdref(struct dg_eark_m *m, int line, enum dg_eark_el parent)
{
	/* requirement ids per parent: LOCTYPE xlink:type href MDTYPE MIMETYPE SIZE CREATED CHECKSUM CHECKSUMTYPE */
	static const char *const dmd[] = {"CSIP22", "CSIP23", "CSIP24", "CSIP25", "CSIP26",
	                                  "CSIP27", "CSIP28", "CSIP29", "CSIP30"};
	static const char *const prov[] = {"CSIP36", "CSIP37", "CSIP38", "CSIP39", "CSIP40",
	                                   "CSIP41", "CSIP42", "CSIP43", "CSIP44"};
	static const char *const rights[] = {"CSIP49", "CSIP50", "CSIP51", "CSIP52", "CSIP53",
	                                     "CSIP54", "CSIP55", "CSIP56", "CSIP57"};
	static const char *const other[] = {"EARK-MDREF", "EARK-MDREF", "EARK-MDREF", "EARK-MDREF", "EARK-MDREF",
	                                    "EARK-MDREF", "EARK-MDREF", "EARK-MDREF", "EARK-MDREF"};
	const char *const *c = parent == EL_DMD        ? dmd
	                       : parent == EL_DIGIPROV ? prov
	                       : parent == EL_RIGHTS   ? rights
	                                               : other;
	struct dg_eark_ref ref = {0};
	char *loctype = dg_eark_get(m, "LOCTYPE", NULL), *xtype = dg_eark_get(m, "type", DG_EARK_NS_XLINK);
	char *mdtype = dg_eark_get(m, "MDTYPE", NULL);

	ref.line = line;
	ref.href = dg_eark_get(m, "href", DG_EARK_NS_XLINK);
	ref.mime = dg_eark_get(m, "MIMETYPE", NULL);
	ref.size = dg_eark_get(m, "SIZE", NULL);
	ref.created = dg_eark_get(m, "CREATED", NULL);
	ref.checksum = dg_eark_get(m, "CHECKSUM", NULL);
	ref.checksumtype = dg_eark_get(m, "CHECKSUMTYPE", NULL);
	if (!loctype || strcmp(loctype, "URL") != 0)
		dg_eark_mfind(m, line, DG_FINDING_ERROR, c[0], "mdRef/@LOCTYPE must be URL");
	if (!xtype || strcmp(xtype, "simple") != 0)
		dg_eark_mfind(m, line, DG_FINDING_ERROR, c[1], "mdRef/@xlink:type must be simple");
	dg_eark_need(m, line, ref.href, DG_FINDING_ERROR, c[2], "mdRef/@xlink:href");
	dg_eark_need(m, line, mdtype, DG_FINDING_ERROR, c[3], "mdRef/@MDTYPE");
	dg_eark_need(m, line, ref.mime, DG_FINDING_ERROR, c[4], "mdRef/@MIMETYPE");
	dg_eark_need(m, line, ref.size, DG_FINDING_ERROR, c[5], "mdRef/@SIZE");
	dg_eark_need(m, line, ref.created, DG_FINDING_ERROR, c[6], "mdRef/@CREATED");
	dg_eark_need(m, line, ref.checksum, DG_FINDING_ERROR, c[7], "mdRef/@CHECKSUM");
	dg_eark_need(m, line, ref.checksumtype, DG_FINDING_ERROR, c[8], "mdRef/@CHECKSUMTYPE");
	dg_eark_check_ref(m, &ref, "metadata file");
	xmlFree(loctype);
	xmlFree(xtype);
	xmlFree(mdtype);
	dg_eark_ref_free(&ref);
}

static void
dg_eark_file_start(struct dg_eark_m *m, int line)
{
	struct dg_eark_ref *f = &m->file;

	dg_eark_ref_free(f);
	m->in_file = 1;
	f->line = line;
	f->id = dg_eark_get(m, "ID", NULL);
	f->mime = dg_eark_get(m, "MIMETYPE", NULL);
	f->size = dg_eark_get(m, "SIZE", NULL);
	f->created = dg_eark_get(m, "CREATED", NULL);
	f->checksum = dg_eark_get(m, "CHECKSUM", NULL);
	f->checksumtype = dg_eark_get(m, "CHECKSUMTYPE", NULL);
	if (m->groups > 0)
		m->group_files[m->groups - 1]++;
}

static void
dg_eark_file_end(struct dg_eark_m *m)
{
	struct dg_eark_ref *f = &m->file;

	if (!m->in_file)
		return;
	m->in_file = 0;
	dg_eark_need(m, f->line, f->id, DG_FINDING_ERROR, "CSIP67", "file/@ID");
	dg_eark_need(m, f->line, f->mime, DG_FINDING_ERROR, "CSIP68", "file/@MIMETYPE");
	dg_eark_need(m, f->line, f->size, DG_FINDING_ERROR, "CSIP69", "file/@SIZE");
	dg_eark_need(m, f->line, f->created, DG_FINDING_ERROR, "CSIP70", "file/@CREATED");
	dg_eark_need(m, f->line, f->checksum, DG_FINDING_ERROR, "CSIP71", "file/@CHECKSUM");
	dg_eark_need(m, f->line, f->checksumtype, DG_FINDING_ERROR, "CSIP72", "file/@CHECKSUMTYPE");
	if (!f->flocats)
		dg_eark_mfind(m, f->line, DG_FINDING_ERROR, "CSIP76", "file without FLocat");
	dg_eark_check_ref(m, f, "file");
	dg_eark_ref_free(f);
}

static void
dg_eark_flocat(struct dg_eark_m *m, int line)
{
	char *loctype = dg_eark_get(m, "LOCTYPE", NULL), *xtype = dg_eark_get(m, "type", DG_EARK_NS_XLINK);
	char *href = dg_eark_get(m, "href", DG_EARK_NS_XLINK);

	if (!loctype || strcmp(loctype, "URL") != 0)
		dg_eark_mfind(m, line, DG_FINDING_ERROR, "CSIP77", "FLocat/@LOCTYPE must be URL");
	if (!xtype || strcmp(xtype, "simple") != 0)
		dg_eark_mfind(m, line, DG_FINDING_ERROR, "CSIP78", "FLocat/@xlink:type must be simple");
	if (dg_eark_need(m, line, href, DG_FINDING_ERROR, "CSIP79", "FLocat/@xlink:href") && m->in_file) {
		if (m->file.flocats == 0) {
			m->file.href = href;
			href = NULL;
		} else {
			dg_eark_mfind(m, line, DG_FINDING_WARN, "EARK-DUP",
			              "more than one FLocat: only the first is checked");
		}
		m->file.flocats++;
	}
	xmlFree(loctype);
	xmlFree(xtype);
	xmlFree(href);
}

static void
dg_eark_filegrp_start(struct dg_eark_m *m, int line, int top)
{
	char *use = dg_eark_get(m, "USE", NULL), *id = dg_eark_get(m, "ID", NULL);

	dg_eark_need(m, line, use, DG_FINDING_ERROR, "CSIP64", "fileGrp/@USE");
	dg_eark_need(m, line, id, DG_FINDING_ERROR, "CSIP65", "fileGrp/@ID");
	if (top && use) {
		if (strcmp(use, "Documentation") == 0)
			m->grp_doc = 1;
		else if (strcmp(use, "Schemas") == 0)
			m->grp_schemas = 1;
		else if (strncmp(use, "Representations", 15) == 0)
			m->grp_reps = 1;
	}
	if (m->groups < DG_EARK_V_GROUPS_MAX) {
		m->group_files[m->groups] = 0;
		m->group_line[m->groups] = line;
	}
	m->groups++;
	xmlFree(use);
	xmlFree(id);
}

static void
dg_eark_filegrp_end(struct dg_eark_m *m)
{
	if (m->groups <= 0)
		return;
	m->groups--;
	if (m->groups < DG_EARK_V_GROUPS_MAX && m->group_files[m->groups] == 0)
		dg_eark_mfind(m, m->group_line[m->groups], DG_FINDING_WARN, "CSIP66", "fileGrp without files");
	else if (m->groups > 0 && m->groups - 1 < DG_EARK_V_GROUPS_MAX && m->groups < DG_EARK_V_GROUPS_MAX)
		m->group_files[m->groups - 1] += m->group_files[m->groups];
}

static void
dg_eark_structmap(struct dg_eark_m *m, int line, int depth)
{
	char *type = dg_eark_get(m, "TYPE", NULL), *label = dg_eark_get(m, "LABEL", NULL);
	char *id = dg_eark_get(m, "ID", NULL);

	m->has_structmap = 1;
	if (label && (strcmp(label, "CSIP") == 0 || strcmp(label, "CSIP StructMap") == 0)) {
		m->csip_maps++;
		m->sm_depth = depth;
		if (strcmp(label, "CSIP") != 0)
			dg_eark_mfind(
			    m, line, DG_FINDING_WARN, "CSIP82",
			    "structMap/@LABEL \"CSIP StructMap\" is the CSIP 2.0 draft label; CSIP 2.1 says \"CSIP\"");
		if (!type || strcmp(type, "PHYSICAL") != 0)
			dg_eark_mfind(m, line, DG_FINDING_ERROR, "CSIP81", "the CSIP structMap/@TYPE must be PHYSICAL");
		dg_eark_need(m, line, id, DG_FINDING_ERROR, "CSIP83", "structMap/@ID");
	}
	xmlFree(type);
	xmlFree(label);
	xmlFree(id);
}

static void
dg_eark_div(struct dg_eark_m *m, int line, int depth)
{
	char *label, *id;

	if (m->sm_depth < 0 || depth > m->sm_depth + 2)
		return;
	label = dg_eark_get(m, "LABEL", NULL);
	id = dg_eark_get(m, "ID", NULL);
	if (depth == m->sm_depth + 1) {
		dg_eark_need(m, line, id, DG_FINDING_ERROR, "CSIP85", "the package div/@ID");
	} else if (label) {
		if (strcmp(label, "Metadata") == 0) {
			m->div_metadata = 1;
			dg_eark_need(m, line, id, DG_FINDING_ERROR, "CSIP89", "the Metadata div/@ID");
		} else if (strcmp(label, "Representations") == 0) {
			m->div_reps = 1;
			dg_eark_need(m, line, id, DG_FINDING_ERROR, "CSIP102", "the Representations div/@ID");
		} else if (strncmp(label, "Representations/", 16) == 0) {
			dg_eark_need(m, line, id, DG_FINDING_ERROR, "CSIP106", "the representation div/@ID");
		}
	}
	xmlFree(label);
	xmlFree(id);
}

static void
dg_eark_mptr(struct dg_eark_m *m, int line)
{
	char *href = dg_eark_get(m, "href", DG_EARK_NS_XLINK), path[DG_EARK_PATH_MAX];
	const char *why;
	int fd;

	if (!dg_eark_need(m, line, href, DG_FINDING_ERROR, "CSIP110", "mptr/@xlink:href"))
		goto out;
	why = dg_eark_resolve(m->base, href, 0, path, sizeof(path));
	if (why) {
		dg_eark_mfind(m, line, DG_FINDING_ERROR, "EARK-HREF", "mptr \"%.200s\": %s", href, why);
		goto out;
	}
	fd = dg_eark_open_beneath(m->v->rootfd, path, 0);
	if (fd < 0 && strchr(href, '+') && !dg_eark_resolve(m->base, href, 1, path, sizeof(path)))
		fd = dg_eark_open_beneath(m->v->rootfd, path, 0);
	if (fd < 0)
		dg_eark_mfind(m, line, DG_FINDING_ERROR, "EARK-MISSING", "mptr to \"%.200s\": no such file", href);
	else
		close(fd);
out:
	xmlFree(href);
}

static void
dg_eark_text_node(struct dg_eark_m *m, int depth)
{
	const char *t;
	char *dst;
	size_t have;

	if (depth < 1 || depth - 1 >= DG_EARK_V_DEPTH_MAX)
		return;
	if (m->stack[depth - 1] == EL_NAME)
		dst = m->agent_name;
	else if (m->stack[depth - 1] == EL_NOTE)
		dst = m->agent_note;
	else
		return;
	t = (const char *)xmlTextReaderConstValue(m->r);
	if (!t)
		return;
	have = strlen(dst);
	snprintf(dst + have, DG_EARK_V_TEXT_MAX - have, "%s", t);
}

static enum dg_eark_el
dg_eark_classify(struct dg_eark_m *m)
{
	const char *ns = (const char *)xmlTextReaderConstNamespaceUri(m->r);
	const char *name = (const char *)xmlTextReaderConstLocalName(m->r);
	size_t i;

	if (!ns || !name || strcmp(ns, DG_EARK_NS_METS) != 0)
		return EL_FOREIGN;
	for (i = 0; dg_eark_els[i].name; i++)
		if (strcmp(dg_eark_els[i].name, name) == 0)
			return dg_eark_els[i].el;
	return EL_OTHER;
}

static void
dg_eark_element_start(struct dg_eark_m *m, int depth)
{
	enum dg_eark_el el = dg_eark_classify(m), parent = depth > 0 ? m->stack[depth - 1] : EL_NONE;
	int line = xmlTextReaderGetParserLineNumber(m->r);

	/* below foreign elements (mdWrap/xmlData content, extensions):
	 * nothing of ours */
	if (parent == EL_FOREIGN || (depth > 0 && parent == EL_NONE))
		el = EL_FOREIGN;
	m->stack[depth] = el;
	if (depth == 0) {
		if (el != EL_METS) {
			dg_eark_mfind(m, line, DG_FINDING_ERROR, "CSIP1000", "the root element is not METS mets");
			m->stack[0] = EL_FOREIGN;
			return;
		}
		dg_eark_root(m, line);
		return;
	}
	switch (el) {
	case EL_HDR:
		if (parent == EL_METS)
			dg_eark_hdr(m, line);
		break;
	case EL_AGENT:
		if (parent == EL_HDR)
			dg_eark_agent_start(m, line);
		break;
	case EL_NAME:
		if (parent == EL_AGENT)
			m->agent_names++;
		break;
	case EL_NOTE:
		if (parent == EL_AGENT) {
			char *nt = dg_eark_csip(m, "NOTETYPE");
			m->agent_notes++;
			if (nt && strcmp(nt, "SOFTWARE VERSION") == 0)
				m->agent_note_sv = 1;
			xmlFree(nt);
		}
		break;
	case EL_DMD:
		if (parent == EL_METS) {
			char *id = dg_eark_get(m, "ID", NULL), *cr = dg_eark_get(m, "CREATED", NULL);
			dg_eark_need(m, line, id, DG_FINDING_ERROR, "CSIP18", "dmdSec/@ID");
			dg_eark_need(m, line, cr, DG_FINDING_ERROR, "CSIP19", "dmdSec/@CREATED");
			xmlFree(id);
			xmlFree(cr);
		}
		break;
	case EL_DIGIPROV:
	case EL_RIGHTS:
		if (parent == EL_AMD) {
			char *id = dg_eark_get(m, "ID", NULL);
			dg_eark_need(m, line, id, DG_FINDING_ERROR, el == EL_DIGIPROV ? "CSIP33" : "CSIP46", "ID");
			xmlFree(id);
		}
		break;
	case EL_MDREF:
		if (parent == EL_DMD || parent == EL_DIGIPROV || parent == EL_RIGHTS || parent == EL_TECH ||
		    parent == EL_SOURCE)
			dg_eark_mdref(m, line, parent);
		break;
	case EL_FILESEC:
		if (parent == EL_METS) {
			char *id = dg_eark_get(m, "ID", NULL);
			m->has_filesec = 1;
			dg_eark_need(m, line, id, DG_FINDING_ERROR, "CSIP59", "fileSec/@ID");
			xmlFree(id);
		}
		break;
	case EL_FILEGRP:
		if (parent == EL_FILESEC || parent == EL_FILEGRP)
			dg_eark_filegrp_start(m, line, parent == EL_FILESEC);
		break;
	case EL_FILE:
		if (parent == EL_FILEGRP || parent == EL_FILE) {
			if (parent == EL_FILE)
				dg_eark_file_end(m); /* a file inside a file: the outer one is done */
			dg_eark_file_start(m, line);
		}
		break;
	case EL_FLOCAT:
		if (parent == EL_FILE)
			dg_eark_flocat(m, line);
		break;
	case EL_STRUCTMAP:
		if (parent == EL_METS)
			dg_eark_structmap(m, line, depth);
		break;
	case EL_DIV: dg_eark_div(m, line, depth); break;
	case EL_MPTR:
		if (m->sm_depth >= 0)
			dg_eark_mptr(m, line);
		break;
	default: break;
	}
}

static void
dg_eark_element_end(struct dg_eark_m *m, int depth)
{
	enum dg_eark_el el = m->stack[depth], parent = depth > 0 ? m->stack[depth - 1] : EL_NONE;

	switch (el) {
	case EL_AGENT:
		if (parent == EL_HDR)
			dg_eark_agent_end(m);
		break;
	case EL_HDR:
		if (parent == EL_METS && !m->has_sw_agent)
			dg_eark_mfind(m, xmlTextReaderGetParserLineNumber(m->r),
			              m->is_rep ? DG_FINDING_WARN : DG_FINDING_ERROR, "CSIP10",
			              "metsHdr has no agent ROLE=CREATOR TYPE=OTHER OTHERTYPE=SOFTWARE (the software "
			              "that made the package)");
		break;
	case EL_FILEGRP:
		if (parent == EL_FILESEC || parent == EL_FILEGRP)
			dg_eark_filegrp_end(m);
		break;
	case EL_FILE:
		if (parent == EL_FILEGRP || parent == EL_FILE)
			dg_eark_file_end(m);
		break;
	case EL_STRUCTMAP:
		if (depth == m->sm_depth)
			m->sm_depth = -1;
		break;
	default: break;
	}
	m->stack[depth] = EL_NONE;
}

static void
dg_eark_xml_error(void *arg, xmlErrorPtr e)
{
	struct dg_eark_m *m = arg;
	char msg[512];
	size_t len;
	int xsd;

	if (!e || e->level < XML_ERR_ERROR)
		return;
	xsd = e->domain == XML_FROM_SCHEMASV || e->domain == XML_FROM_SCHEMASP;
	if (!xsd)
		m->broken = 1;
	if (++m->xml_errors > DG_EARK_V_XML_ERRORS) {
		if (m->xml_errors == DG_EARK_V_XML_ERRORS + 1)
			dg_eark_mfind(m, 0, DG_FINDING_ERROR, xsd ? "EARK-XSD" : "EARK-XML", "more errors not shown");
		return;
	}
	snprintf(msg, sizeof(msg), "%s", e->message ? e->message : "error");
	len = strlen(msg);
	while (len && (msg[len - 1] == '\n' || msg[len - 1] == ' '))
		msg[--len] = '\0';
	dg_eark_mfind(m, e->line, DG_FINDING_ERROR, xsd ? "EARK-XSD" : "EARK-XML", "%s", msg);
}

static void dg_eark_generic_error(void *arg, const char *fmt, ...) DG_PRINTF(2, 3);

/* libxml2's unstructured messages (encoding errors): the first kept. */
static void
dg_eark_generic_error(void *arg, const char *fmt, ...)
{
	struct dg_eark_m *m = arg;
	size_t have = strlen(m->generic);
	va_list ap;

	if (have + 1 >= sizeof(m->generic))
		return;
	va_start(ap, fmt);
	vsnprintf(m->generic + have, sizeof(m->generic) - have, fmt, ap);
	va_end(ap);
}

/* Read and check one METS file (rel: package-relative). */
static void
dg_eark_read_mets(struct dg_eark_v *v, const char *rel, const char *base, int is_rep)
{
	struct dg_eark_m *m = calloc(1, sizeof(*m));
	xmlSchemaValidCtxtPtr vctxt = NULL;
	struct stat sb;
	int fd = -1, ret, depth, generic_set = 0;
	xmlGenericErrorFunc old_generic = NULL;
	xmlStructuredErrorFunc old_structured = NULL;
	void *old_generic_ctx = NULL, *old_structured_ctx = NULL;

	if (!m) {
		dg_eark_find(v, DG_FINDING_ERROR, "EARK-LIMIT", rel, "out of memory");
		v->incomplete = 1;
		return;
	}
	m->v = v;
	m->is_rep = is_rep;
	m->sm_depth = -1;
	snprintf(m->rel, sizeof(m->rel), "%s", rel);
	snprintf(m->base, sizeof(m->base), "%s", base);
	m->id = (int)++v->mets_read;
	dg_eark_set_add(&v->verified, rel, m->id, NULL);
	fd = dg_eark_open_beneath(v->rootfd, rel, 0);
	if (fd < 0) {
		dg_eark_find(v, DG_FINDING_ERROR, errno == ENOENT ? "CSIPSTR4" : "EARK-FILETYPE", rel, "%s",
		             errno == ENOENT ? "no METS.xml" : "METS.xml is not a readable regular file (or a link)");
		v->incomplete = 1;
		goto out;
	}
	if (fstat(fd, &sb) != 0 || sb.st_size > DG_EARK_V_METS_MAX) {
		dg_eark_find(v, DG_FINDING_ERROR, "EARK-LIMIT", rel, "larger than %lld bytes: not read",
		             (long long)DG_EARK_V_METS_MAX);
		v->incomplete = 1;
		goto out;
	}
	/* no network, no DTD loaded, no entity substituted; a DOCTYPE is
	 * refused below before anything in it is used */
	/* libxml2 reports some errors (encoding) outside the reader's
	 * handler: catch them too while this file is read */
	old_generic = xmlGenericError;
	old_generic_ctx = xmlGenericErrorContext;
	old_structured = xmlStructuredError;
	old_structured_ctx = xmlStructuredErrorContext;
	xmlSetGenericErrorFunc(m, dg_eark_generic_error);
	xmlSetStructuredErrorFunc(m, dg_eark_xml_error);
	generic_set = 1;
	m->r = xmlReaderForFd(fd, rel, NULL, XML_PARSE_NONET | XML_PARSE_NOCDATA);
	if (!m->r) {
		dg_eark_find(v, DG_FINDING_ERROR, "EARK-XML", rel, "cannot be read");
		v->incomplete = 1;
		goto out;
	}
	xmlTextReaderSetStructuredErrorHandler(m->r, dg_eark_xml_error, m);
	if (v->schema) {
		vctxt = xmlSchemaNewValidCtxt(v->schema);
		if (!vctxt || xmlTextReaderSchemaValidateCtxt(m->r, vctxt, 0) != 0) {
			dg_eark_find(v, DG_FINDING_ERROR, "EARK-XSD", rel, "schema validation could not start");
		} else {
			xmlSchemaSetValidStructuredErrors(vctxt, dg_eark_xml_error, m);
		}
	}
	while ((ret = xmlTextReaderRead(m->r)) == 1) {
		int type = xmlTextReaderNodeType(m->r);

		depth = xmlTextReaderDepth(m->r);
		if (type == XML_READER_TYPE_DOCUMENT_TYPE) {
			dg_eark_mfind(m, xmlTextReaderGetParserLineNumber(m->r), DG_FINDING_ERROR, "EARK-XML",
			              "a DOCTYPE declaration: refused (no DTD, no entities)");
			m->broken = 1;
			break;
		}
		if (depth < 0 || depth >= DG_EARK_V_DEPTH_MAX) {
			dg_eark_mfind(m, xmlTextReaderGetParserLineNumber(m->r), DG_FINDING_ERROR, "EARK-LIMIT",
			              "elements nested deeper than %d", DG_EARK_V_DEPTH_MAX);
			m->broken = 1;
			break;
		}
		if (type == XML_READER_TYPE_ELEMENT) {
			dg_eark_element_start(m, depth);
			if (xmlTextReaderIsEmptyElement(m->r))
				dg_eark_element_end(m, depth);
		} else if (type == XML_READER_TYPE_END_ELEMENT) {
			dg_eark_element_end(m, depth);
		} else if (type == XML_READER_TYPE_TEXT || type == XML_READER_TYPE_CDATA ||
		           type == XML_READER_TYPE_SIGNIFICANT_WHITESPACE) {
			dg_eark_text_node(m, depth);
		}
	}
	if (ret != 0 || m->broken) {
		size_t gl = strlen(m->generic);
		while (gl && (m->generic[gl - 1] == '\n' || m->generic[gl - 1] == ' '))
			m->generic[--gl] = '\0';
		for (size_t k = 0; k < gl; k++)
			if (m->generic[k] == '\n')
				m->generic[k] = ' ';
		if (!m->xml_errors)
			dg_eark_find(v, DG_FINDING_ERROR, "EARK-XML", rel, "not well-formed XML%s%s", gl ? ": " : "",
			             m->generic);
		v->incomplete = 1;
		goto out;
	}
	if (v->schema && vctxt && xmlTextReaderIsValid(m->r) != 1 && !m->xml_errors)
		dg_eark_find(v, DG_FINDING_ERROR, "EARK-XSD", rel, "not valid against the METS schema");
	if (m->stack[0] == EL_FOREIGN)
		goto out;
	/* what must be there */
	if (!m->has_hdr)
		dg_eark_find(v, DG_FINDING_ERROR, "CSIP117", rel, "no metsHdr");
	if (!m->has_filesec)
		dg_eark_find(v, DG_FINDING_WARN, "CSIP58", rel, "no fileSec");
	if (!m->has_structmap)
		dg_eark_find(v, DG_FINDING_ERROR, "CSIP80", rel, "no structMap");
	else if (!m->csip_maps)
		dg_eark_find(v, DG_FINDING_ERROR, "CSIP82", rel, "no structMap with LABEL=\"CSIP\"");
	else if (m->csip_maps > 1)
		dg_eark_find(v, DG_FINDING_ERROR, "CSIP82", rel, "more than one CSIP structMap");
	if (m->csip_maps && !m->div_metadata)
		dg_eark_find(v, DG_FINDING_ERROR, "CSIP88", rel, "the CSIP structMap has no Metadata division");
	if (m->csip_maps && !m->div_reps && (m->grp_reps || is_rep))
		dg_eark_find(v, DG_FINDING_WARN, "CSIP103", rel, "the CSIP structMap has no Representations division");
	if (!is_rep && m->has_filesec) {
		if (!m->grp_doc)
			dg_eark_find(v, DG_FINDING_WARN, "CSIP60", rel, "no fileGrp USE=\"Documentation\"");
		if (!m->grp_schemas)
			dg_eark_find(v, DG_FINDING_WARN, "CSIP113", rel, "no fileGrp USE=\"Schemas\"");
		if (!m->grp_reps)
			dg_eark_find(v, DG_FINDING_WARN, "CSIP114", rel, "no fileGrp USE=\"Representations...\"");
	}
out:
	if (m->r)
		xmlFreeTextReader(m->r);
	if (generic_set) {
		xmlSetGenericErrorFunc(old_generic_ctx, old_generic);
		xmlSetStructuredErrorFunc(old_structured_ctx, old_structured);
	}
	if (vctxt)
		xmlSchemaFreeValidCtxt(vctxt);
	if (fd >= 0)
		close(fd);
	dg_eark_ref_free(&m->file);
	free(m);
}

/* ---- the folder -------------------------------------------------------- */

static void
dg_eark_walk(struct dg_eark_v *v, int dirfd, const char *prefix, int depth)
{
	DIR *d;
	struct dirent *de;
	int fd = dup(dirfd);

	if (fd < 0)
		return;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return;
	}
	while ((de = readdir(d))) {
		char path[DG_EARK_PATH_MAX];
		struct stat sb;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (++v->walked > DG_EARK_V_WALK_MAX) {
			if (!v->limit)
				dg_eark_find(v, DG_FINDING_ERROR, "EARK-LIMIT", prefix,
				             "more than %d entries: not all checked", DG_EARK_V_WALK_MAX);
			v->limit = 1;
			break;
		}
		if ((size_t)snprintf(path, sizeof(path), "%s%s%s", prefix, *prefix ? "/" : "", de->d_name) >=
		    sizeof(path)) {
			dg_eark_find(v, DG_FINDING_ERROR, "EARK-LIMIT", prefix, "a path longer than %zu bytes",
			             DG_EARK_PATH_MAX);
			continue;
		}
		if (fstatat(dirfd, de->d_name, &sb, AT_SYMLINK_NOFOLLOW) != 0)
			continue;
		if (S_ISLNK(sb.st_mode)) {
			dg_eark_find(v, DG_FINDING_ERROR, "EARK-SYMLINK", path, "a symbolic link in the package");
		} else if (S_ISDIR(sb.st_mode)) {
			int sub;
			if (depth + 1 > DG_EARK_V_WALK_DEPTH) {
				dg_eark_find(v, DG_FINDING_ERROR, "EARK-LIMIT", path, "folders nested deeper than %d",
				             DG_EARK_V_WALK_DEPTH);
				continue;
			}
			sub = openat(dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub >= 0) {
				dg_eark_walk(v, sub, path, depth + 1);
				close(sub);
			}
		} else if (!S_ISREG(sb.st_mode)) {
			dg_eark_find(v, DG_FINDING_ERROR, "EARK-FILETYPE", path, "not a regular file");
		} else if (!dg_eark_set_has(&v->listed, path) && strcmp(path, "METS.xml") != 0) {
			int reps = strncmp(path, "representations/", 16) == 0;
			int placeholder = de->d_name[0] == '.' && sb.st_size == 0;

			if (placeholder)
				dg_eark_find(v, DG_FINDING_INFO, "EARK-UNLISTED", path,
				             "an empty hidden file (a folder placeholder) not listed: ignored");
			else if (reps && dg_eark_set_has(&v->verified, path))
				dg_eark_find(v, DG_FINDING_ERROR, "EARK-UNLISTED", path,
				             "a representation METS the package METS does not list (CSIP114)");
			else
				dg_eark_find(v, reps ? DG_FINDING_ERROR : DG_FINDING_WARN, "EARK-UNLISTED", path,
				             "listed by no METS file");
		}
	}
	closedir(d);
}

/* Verify each representations/<rep>/METS.xml. */
static void
dg_eark_reps(struct dg_eark_v *v)
{
	int rfd = dg_eark_open_beneath(v->rootfd, "representations", 1), fd;
	DIR *d;
	struct dirent *de;
	int n = 0;

	if (rfd < 0)
		return;
	fd = dup(rfd);
	d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d) {
		if (fd >= 0)
			close(fd);
		close(rfd);
		return;
	}
	while ((de = readdir(d))) {
		char rel[DG_EARK_PATH_MAX], base[1100];
		struct stat sb;

		if (de->d_name[0] == '.' && (!de->d_name[1] || (de->d_name[1] == '.' && !de->d_name[2])))
			continue;
		if (fstatat(rfd, de->d_name, &sb, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISDIR(sb.st_mode))
			continue;
		snprintf(base, sizeof(base), "representations/%.1000s", de->d_name);
		snprintf(rel, sizeof(rel), "%s/METS.xml", base);
		if (fstatat(rfd, rel + 16, &sb, AT_SYMLINK_NOFOLLOW) != 0)
			continue; /* no representation METS: the package METS lists its files */
		if (++n > DG_EARK_V_REPS_MAX) {
			dg_eark_find(v, DG_FINDING_ERROR, "EARK-LIMIT", "representations",
			             "more than %d representations: not all checked", DG_EARK_V_REPS_MAX);
			v->limit = 1;
			break;
		}
		dg_eark_read_mets(v, rel, base, 1);
	}
	closedir(d);
	close(rfd);
}

static xmlSchemaPtr
dg_eark_load_schema(struct dg_eark_v *v)
{
	char path[DG_EARK_PATH_MAX];
	xmlSchemaParserCtxtPtr pc;
	xmlSchemaPtr s;

	snprintf(path, sizeof(path), "%s/%s/%s", dg_eark_datadir(), DG_EARK_SCHEMA_DIR, DG_EARK_METS_XSD);
	if (access(path, R_OK) != 0) {
		v->host->error(v->ctx, "%s: %s (the E-ARK schemas are installed with dangan; set DANGAN_DATADIR?)",
		               path, strerror(errno));
		return NULL;
	}
	pc = xmlSchemaNewParserCtxt(path);
	if (!pc)
		return NULL;
	s = xmlSchemaParse(pc);
	xmlSchemaFreeParserCtxt(pc);
	if (!s)
		v->host->error(v->ctx, "%s: the METS schema does not load", path);
	return s;
}

int
dg_eark_verify(struct dg_ctx *ctx, const struct dg_host *host, xmlSchemaPtr *cache, const char *path)
{
	struct dg_eark_v v;
	struct stat sb;
	int rc = DG_FAILED;

	memset(&v, 0, sizeof(v));
	v.ctx = ctx;
	v.host = host;
	v.rootfd = -1;
	v.buf = malloc(DG_EARK_CHUNK);
	if (!v.buf) {
		host->error(ctx, "out of memory");
		return DG_FATAL;
	}
	if (cache && *cache) {
		v.schema = *cache;
	} else {
		v.schema = dg_eark_load_schema(&v);
		if (!v.schema) {
			rc = DG_FATAL;
			goto out;
		}
		if (cache)
			*cache = v.schema;
	}
	if (lstat(path, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
		dg_eark_find(&v, DG_FINDING_ERROR, "CSIPSTR1", path, "%s",
		             errno == ENOENT ? "no such folder"
		                             : "not a folder (unpack a zipped or tarred package first)");
		goto done;
	}
	v.rootfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (v.rootfd < 0) {
		dg_eark_find(&v, DG_FINDING_ERROR, "CSIPSTR1", path, "cannot be opened: %s", strerror(errno));
		goto done;
	}
	dg_eark_read_mets(&v, "METS.xml", "", 0);
	dg_eark_reps(&v);
	if (!v.incomplete && !v.limit)
		dg_eark_walk(&v, v.rootfd, "", 0);
	else
		dg_eark_find(&v, DG_FINDING_INFO, "EARK-UNLISTED", NULL,
		             "a METS file could not be read through: files no METS lists were not looked for");
	if (v.files_ok)
		dg_eark_find(&v, DG_FINDING_PASS, "EARK-CHECKSUM", NULL,
		             "%" PRId64 " files (%" PRId64 " bytes) match their size and checksum", v.files_ok,
		             v.bytes_ok);
done:
	if (v.hidden)
		host->finding(ctx, v.hidden_errors ? DG_FINDING_ERROR : DG_FINDING_WARN, "EARK-LIMIT", NULL,
		              "%" PRId64 " more findings not shown (%" PRId64 " errors)", v.hidden, v.hidden_errors);
	rc = v.errors ? DG_FAILED : v.warnings ? DG_WARN : DG_OK;
out:
	if (v.schema && !cache)
		xmlSchemaFree(v.schema);
	if (v.rootfd >= 0)
		close(v.rootfd);
	dg_eark_set_free(&v.listed);
	dg_eark_set_free(&v.verified);
	free(v.buf);
	return rc;
}

void
dg_eark_verify_free(xmlSchemaPtr *cache)
{
	if (cache && *cache)
		xmlSchemaFree(*cache);
	if (cache)
		*cache = NULL;
}
