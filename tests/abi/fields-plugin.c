/*
 * fields-plugin.c -- abi-fields, a test stage for the dossier tests: it
 * copies "KEY: VALUE" lines (ASCII or full-width colon) of a document's
 * text part into metadata, for the keys named by its option "keys", as
 * a classification stage would write its extracted fields (户号, 户名,
 * 签订日期, doctype, ...).  Not a classifier: tests only.
 */
#include <config.h>

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <dangan/plugin.h>

#define TEXT_MAX (1 << 20)
#define KEYS_MAX 32

struct state {
	char *keys[KEYS_MAX];
	size_t n;
	char *buf;
};

static void
fields_fini(void *p)
{
	struct state *s = p;
	size_t i;

	if (!s)
		return;
	for (i = 0; i < s->n; i++)
		free(s->keys[i]);
	free(s);
}

static int
fields_init(struct dg_ctx *ctx, const struct dg_host *host, const struct dg_opts *opts, void **state)
{
	const char *keys = host->opt_string(opts, "keys");
	struct state *s = calloc(1, sizeof(*s));
	const char *p = keys, *q;

	if (!s) {
		host->error(ctx, "out of memory");
		return DG_FATAL;
	}
	while (p && *p && s->n < KEYS_MAX) {
		q = strchr(p, ',');
		if (!q)
			q = p + strlen(p);
		if (q > p && !(s->keys[s->n] = strndup(p, (size_t)(q - p)))) {
			fields_fini(s);
			return DG_FATAL;
		}
		if (q > p)
			s->n++;
		p = *q ? q + 1 : q;
	}
	*state = s;
	return DG_OK;
}

static int
fields_process(struct dg_ctx *ctx, const struct dg_host *host, void *state, struct dg_doc *doc)
{
	struct state *s = state;
	const char *path = host->part_path(doc, "text");
	char *text, *line, *save = NULL;
	ssize_t n;
	size_t len = 0;
	int fd;

	if (!path)
		return DG_DECLINED;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		host->error(ctx, "cannot open the text part");
		return DG_FAILED;
	}
	text = malloc(TEXT_MAX + 1);
	while (text && len < TEXT_MAX && (n = read(fd, text + len, TEXT_MAX - len)) > 0)
		len += (size_t)n;
	close(fd);
	if (!text)
		return DG_FAILED;
	text[len] = '\0';
	for (line = strtok_r(text, "\r\n", &save); line; line = strtok_r(NULL, "\r\n", &save)) {
		size_t i;
		for (i = 0; i < s->n; i++) {
			size_t kl = strlen(s->keys[i]);
			const char *v = line + kl;
			if (strncmp(line, s->keys[i], kl) != 0)
				continue;
			if (*v == ':')
				v++;
			else if (strncmp(v, "\xef\xbc\x9a", 3) == 0) /* ： */
				v += 3;
			else
				continue;
			while (*v == ' ' || *v == '\t')
				v++;
			if (*v)
				host->meta_add(doc, s->keys[i], v);
		}
	}
	free(text);
	return DG_OK;
}

static const struct dg_option options[] = {
    {"keys", DG_OPT_STRING, "户号,户名,用电地址,联系电话,合同容量,用电类别,签订日期,申请日期,日期,doctype,业务类型",
     "the metadata keys copied from KEY: VALUE lines", 0, 0},
    {NULL, 0, NULL, NULL, 0, 0},
};

static const struct dg_plugin plugin = {
    DG_PLUGIN_HEADER,          .name = "abi-fields",
    .version = "1.0",          .summary = "test stage: KEY: VALUE lines of the text into metadata",
    .kind = DG_KIND_TRANSFORM, .flags = DG_PLUGIN_SHARED,
    .options = options,        .init = fields_init,
    .fini = fields_fini,       .process = fields_process,
};

DG_PLUGIN_DEFINE(plugin)
