/*
 * plugins/eark/util.c -- helpers of the E-ARK plugin: hashed output
 * files, XML-safe text, file names and URI paths from untrusted text,
 * timestamps, opening a path inside a package without following links.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <libxml/chvalid.h>
#include <libxml/xmlIO.h>
#include <libxml/xmlstring.h>

#include "eark.h"

/* CSIP vocabularies (E-ARK CSIP 2.2.0 schema/, the DILCIS Board). */
const char *const dg_eark_categories[] = {
    "Textual works \u2013 Print",
    "Textual works \u2013 Digital",
    "Textual works \u2013 Electronic Serials",
    "Digital Musical Composition (score-based representations)",
    "Musical Scores - Print",
    "Musical Scores - Digital",
    "Photographs \u2013 Print",
    "Photographs \u2013 Digital",
    "Other Graphic Images \u2013 Print",
    "Other Graphic Images \u2013 Digital",
    "Microforms",
    "Audio \u2013 On Tangible Medium (digital or analog)",
    "Audio \u2013 Media-independent (digital)",
    "Motion Pictures \u2013 Digital and Physical Media",
    "Video \u2013 File-based and Physical Media",
    "Software",
    "Software and Video Games",
    "Email",
    "Datasets",
    "Geospatial Data",
    "Geographic Information System (GIS) - Vector Data",
    "GIS Raster and Georeferenced Images",
    "GIS Vector and Raster Combined",
    "Non-GIS Cartographic",
    "2D and 3D Computer Aided Design",
    "Design (schematics, architectural drawings) - Print",
    "Scanned 3D Objects (output from photogrammetry scanning)",
    "Databases",
    "Websites",
    "Web Archives",
    "Collection",
    "Event",
    "Image",
    "Interactive resource",
    "Moving image",
    "Sound",
    "Still image",
    "Text",
    "Physical object",
    "Service",
    "Mixed",
    "Other",
    NULL,
};

/* The terms both the 2.0 and the 2.2 extension schemas accept. */
const char *const dg_eark_cits[] = {
    "ERMS",
    "SIARD1",
    "SIARD2",
    "SIARDDK",
    "GeoData",
    "citspremis_v1_0",
    "citserms_v2_1",
    "citsehpj_v1_0",
    "citsehcr_v1_0",
    "citssiard_v1_0",
    "citsgeospatial_v3_0",
    "MIXED",
    "OTHER",
    NULL,
};

/* Every term of the 2.2 vocabulary (what a verifier accepts). */
const char *const dg_eark_cits_all[] = {
    "ERMS",
    "SIARD1",
    "SIARD2",
    "SIARDDK",
    "GeoData",
    "citscarchival_v1_0",
    "cscarchival_v1_0",
    "citserms_v2_1",
    "citserms_v3_0",
    "citspremis_v1_0",
    "cspremis_v1_0",
    "citsehpj_v1_0",
    "citsehpj_v2_0",
    "citsehcr_v1_0",
    "citssiard_v1_0",
    "citsgeospatial_v3_0",
    "cits3dpm_v1_0",
    "MIXED",
    "OTHER",
    NULL,
};

int
dg_eark_in(const char *const *list, const char *v)
{
	size_t i;

	if (!v)
		return 0;
	for (i = 0; list[i]; i++)
		if (strcmp(list[i], v) == 0)
			return 1;
	return 0;
}

#ifndef DG_DATADIR
#define DG_DATADIR "/usr/local/share/dangan"
#endif

int
dg_eark_sink_open(struct dg_eark_sink *s, int dirfd, const char *name)
{
	memset(s, 0, sizeof(*s));
	s->fd = -1;
	s->md = EVP_MD_CTX_new();
	if (!s->md || EVP_DigestInit_ex(s->md, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(s->md);
		s->md = NULL;
		errno = ENOMEM;
		return -1;
	}
	s->fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (s->fd < 0) {
		int e = errno;
		EVP_MD_CTX_free(s->md);
		s->md = NULL;
		errno = e;
		return -1;
	}
	return 0;
}

int
dg_eark_sink_write(struct dg_eark_sink *s, const void *buf, size_t len)
{
	const unsigned char *p = buf;
	size_t done = 0;

	if (s->failed)
		return -1;
	if (EVP_DigestUpdate(s->md, buf, len) != 1) {
		s->failed = 1;
		s->err = EIO;
		return -1;
	}
	while (done < len) {
		ssize_t n = write(s->fd, p + done, len - done);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			s->failed = 1;
			s->err = errno;
			return -1;
		}
		done += (size_t)n;
	}
	s->size += (int64_t)len;
	return 0;
}

int
dg_eark_sink_finish(struct dg_eark_sink *s, char hex[65])
{
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	int rc = -1;

	if (s->fd < 0)
		goto out;
	if (s->failed) {
		errno = s->err;
		goto out;
	}
	if (close(s->fd) != 0) {
		s->fd = -1;
		goto out;
	}
	s->fd = -1;
	if (EVP_DigestFinal_ex(s->md, d, &n) != 1 || n != 32) {
		errno = EIO;
		goto out;
	}
	dg_eark_hex(d, n, hex);
	rc = 0;
out:
	dg_eark_sink_abort(s);
	return rc;
}

void
dg_eark_sink_abort(struct dg_eark_sink *s)
{
	int e = errno;

	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	EVP_MD_CTX_free(s->md);
	s->md = NULL;
	errno = e;
}

static int
dg_eark_sink_io_write(void *ctx, const char *buf, int len)
{
	if (len < 0 || dg_eark_sink_write(ctx, buf, (size_t)len) != 0)
		return -1;
	return len;
}

static int
dg_eark_sink_io_close(void *ctx)
{
	(void)ctx; /* the sink's owner closes the file */
	return 0;
}

xmlTextWriterPtr
dg_eark_sink_writer(struct dg_eark_sink *s)
{
	xmlOutputBufferPtr out;
	xmlTextWriterPtr w;

	out = xmlOutputBufferCreateIO(dg_eark_sink_io_write, dg_eark_sink_io_close, s, NULL);
	if (!out)
		return NULL;
	w = xmlNewTextWriter(out);
	if (!w) {
		xmlOutputBufferClose(out);
		return NULL;
	}
	xmlTextWriterSetIndent(w, 1);
	xmlTextWriterSetIndentString(w, BAD_CAST "  ");
	return w;
}

char *
dg_eark_xml_clean(const char *s, size_t max)
{
	static const char repl[] = "\xef\xbf\xbd"; /* U+FFFD */
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	size_t n = strlen((const char *)p), i = 0, o = 0;
	/* a byte becomes at most 3 (U+FFFD) */
	char *out = malloc((n < max / 3 ? 3 * n : max) + 4);

	if (!out)
		return NULL;
	while (i < n) {
		int len = (int)(n - i > 4 ? 4 : n - i);
		int c = xmlGetUTF8Char(p + i, &len);
		const char *src;
		size_t sl;

		if (c < 0 || len <= 0) {
			len = 1;
			c = -1;
		}
		if (c >= 0 && xmlIsCharQ(c)) {
			src = (const char *)p + i;
			sl = (size_t)len;
		} else {
			src = repl;
			sl = 3;
		}
		if (o + sl > max)
			break;
		memcpy(out + o, src, sl);
		o += sl;
		i += (size_t)len;
	}
	out[o] = '\0';
	return out;
}

char *
dg_eark_file_name(const char *s, const char *fallback)
{
	char *c = dg_eark_xml_clean(s, 4 * DG_EARK_NAME_MAX), *out = NULL;
	size_t n, i;

	if (!c)
		return NULL;
	for (i = 0; c[i]; i++) {
		unsigned char ch = (unsigned char)c[i];
		/* also what Windows refuses, so that the package unpacks there */
		if (ch < 0x20 || ch == 0x7f || strchr("/\\:*?\"<>|", ch))
			c[i] = '_';
	}
	n = strlen(c);
	while (n > 0 && (c[n - 1] == '.' || c[n - 1] == ' '))
		c[--n] = '\0';
	if (n > DG_EARK_NAME_MAX) {
		/* keep a short extension; cut the stem on a character boundary */
		const char *dot = strrchr(c, '.');
		size_t ext = dot && n - (size_t)(dot - c) <= 16 ? n - (size_t)(dot - c) : 0;
		size_t stem = DG_EARK_NAME_MAX - ext;

		while (stem > 0 && ((unsigned char)c[stem] & 0xc0) == 0x80)
			stem--;
		memmove(c + stem, c + n - ext, ext + 1);
		n = stem + ext;
	}
	if (n == 0 || strcmp(c, ".") == 0 || strcmp(c, "..") == 0) {
		free(c);
		return strdup(fallback);
	}
	out = c;
	return out;
}

char *
dg_eark_uri_path(const char *path)
{
	static const char hexd[] = "0123456789ABCDEF";
	size_t n = strlen(path), i, o = 0;
	char *out = malloc(3 * n + 1);

	if (!out)
		return NULL;
	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)path[i];
		int keep = ch >= 0x80 || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		           (ch >= '0' && ch <= '9') || strchr("-._~!$&'()*,;=@/", ch);
		if (ch && keep) {
			out[o++] = (char)ch;
		} else {
			out[o++] = '%';
			out[o++] = hexd[ch >> 4];
			out[o++] = hexd[ch & 15];
		}
	}
	out[o] = '\0';
	return out;
}

void
dg_eark_time(int64_t us, char buf[32])
{
	time_t t = us > 0 ? (time_t)(us / 1000000) : 0;
	struct tm tm;

	if (!gmtime_r(&t, &tm) || strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, 32, "1970-01-01T00:00:00Z");
}

void
dg_eark_hex(const unsigned char *d, unsigned n, char *out)
{
	static const char hexd[] = "0123456789abcdef";
	unsigned i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hexd[d[i] >> 4];
		out[2 * i + 1] = hexd[d[i] & 15];
	}
	out[2 * n] = '\0';
}

const char *
dg_eark_datadir(void)
{
	const char *env = getenv("DANGAN_DATADIR");

	return env && *env ? env : DG_DATADIR;
}

int
dg_eark_open_beneath(int dirfd, const char *path, int directory)
{
	char comp[DG_EARK_PATH_MAX];
	const char *p = path;
	int cur = dirfd, fd = -1;
	struct stat sb;

	if (!*path || strlen(path) >= DG_EARK_PATH_MAX || path[0] == '/') {
		errno = EINVAL;
		return -1;
	}
	for (;;) {
		const char *slash = strchr(p, '/');
		size_t len = slash ? (size_t)(slash - p) : strlen(p);
		int last = !slash;
		int flags = O_RDONLY | O_NOFOLLOW | O_CLOEXEC;

		memcpy(comp, p, len);
		comp[len] = '\0';
		if (len == 0 || strcmp(comp, ".") == 0 || strcmp(comp, "..") == 0) {
			errno = EINVAL;
			fd = -1;
			goto out;
		}
		if (!last || directory)
			flags |= O_DIRECTORY;
		else
			flags |= O_NONBLOCK; /* a FIFO must not block us */
		fd = openat(cur, comp, flags);
		if (cur != dirfd)
			close(cur);
		cur = dirfd;
		if (fd < 0)
			goto out;
		if (last)
			break;
		cur = fd;
		fd = -1;
		p = slash + 1;
	}
	if (fstat(fd, &sb) != 0 || (!directory && !S_ISREG(sb.st_mode))) {
		close(fd);
		fd = -1;
		errno = EINVAL;
		goto out;
	}
	if (!directory) {
		int fl = fcntl(fd, F_GETFL);
		if (fl >= 0)
			(void)fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
	}
out:
	if (cur != dirfd)
		close(cur);
	return fd;
}
