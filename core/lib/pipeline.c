/* pipeline.c -- see pipeline.h. */
#include <config.h>

#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/tree.h>

#include "pipeline.h"
#include "xmlsafe.h"

#ifndef DG_DATADIR
#define DG_DATADIR "/usr/local/share/dangan"
#endif

#define CONFIG_NS "urn:dangan:config:1"

const char *
dg_datadir(void)
{
	const char *env = getenv("DANGAN_DATADIR");

	return env && *env ? env : DG_DATADIR;
}

static void
stage_release(struct dg_stage *st)
{
	size_t i;

	dg_free(st->id);
	dg_free(st->plugin);
	for (i = 0; i < st->nmatches; i++) {
		dg_free(st->matches[i].type);
		dg_free(st->matches[i].meta_key);
		dg_free(st->matches[i].meta_glob);
	}
	dg_free(st->matches);
	dg_opts_free(st->opts);
}

void
dg_config_free(struct dg_config *c)
{
	size_t i, j;

	if (!c)
		return;
	for (i = 0; i < c->npipelines; i++) {
		for (j = 0; j < c->pipelines[i].nstages; j++)
			stage_release(&c->pipelines[i].stages[j]);
		dg_free(c->pipelines[i].stages);
		dg_free(c->pipelines[i].name);
	}
	dg_free(c->pipelines);
	for (i = 0; i < c->nsources; i++) {
		for (j = 0; j < c->sources[i].n; j++) {
			dg_free(c->sources[i].names[j]);
			dg_free(c->sources[i].values[j]);
		}
		dg_free(c->sources[i].names);
		dg_free(c->sources[i].values);
		dg_free(c->sources[i].plugin);
	}
	dg_free(c->sources);
	dg_free(c->default_pipeline);
	dg_free(c->path);
	dg_free(c);
}

static char *
prop(xmlNodePtr n, const char *name)
{
	xmlChar *v = xmlGetProp(n, BAD_CAST name);
	char *r;

	if (!v)
		return NULL;
	r = dg_strdup((const char *)v);
	xmlFree(v);
	return r;
}

static size_t
count_children(xmlNodePtr parent, const char *name)
{
	size_t n = 0;
	xmlNodePtr c;

	for (c = parent->children; c; c = c->next)
		if (c->type == XML_ELEMENT_NODE && strcmp((const char *)c->name, name) == 0)
			n++;
	return n;
}

static int
parse_stage(struct dg_config *cfg, xmlNodePtr n, struct dg_stage *st, struct dg_registry *reg, struct dg_err *err)
{
	xmlNodePtr c;
	char *onf = NULL;
	struct dg_err oerr = {0};
	int rc = -1;

	st->line = xmlGetLineNo(n);
	st->id = prop(n, "id");
	st->plugin = prop(n, "plugin");
	onf = prop(n, "on-failure");
	if (!st->id || !st->plugin) {
		dg_err_set(err, DG_FAILED, "%s:%ld: stage needs id and plugin", cfg->path, st->line);
		goto out;
	}
	if (!onf || strcmp(onf, "quarantine") == 0)
		st->on_failure = DG_ONFAIL_QUARANTINE;
	else if (strcmp(onf, "continue") == 0)
		st->on_failure = DG_ONFAIL_CONTINUE;
	else if (strcmp(onf, "abort") == 0)
		st->on_failure = DG_ONFAIL_ABORT;
	else {
		dg_err_set(err, DG_FAILED, "%s:%ld: on-failure must be quarantine, continue or abort", cfg->path,
		           st->line);
		goto out;
	}
	if (reg) {
		st->mod = dg_registry_get(reg, st->plugin, &oerr);
		if (!st->mod) {
			dg_err_set(err, DG_FAILED, "%s:%ld: stage '%s': %s", cfg->path, st->line, st->id, oerr.msg);
			goto out;
		}
		if (st->mod->desc->kind == DG_KIND_SOURCE) {
			dg_err_set(err, DG_FAILED, "%s:%ld: stage '%s': plugin '%s' is a source, not a stage",
			           cfg->path, st->line, st->id, st->plugin);
			goto out;
		}
		st->opts = dg_opts_new(st->mod->desc);
		if (!st->opts) {
			dg_err_set(err, DG_FAILED, "out of memory");
			goto out;
		}
	}
	st->matches = dg_calloc(count_children(n, "match") + 1, sizeof(*st->matches));
	if (!st->matches) {
		dg_err_set(err, DG_FAILED, "out of memory");
		goto out;
	}
	for (c = n->children; c; c = c->next) {
		if (c->type != XML_ELEMENT_NODE)
			continue;
		if (strcmp((const char *)c->name, "match") == 0) {
			struct dg_match *m = &st->matches[st->nmatches++];
			char *meta = prop(c, "meta");
			m->type = prop(c, "type");
			if (meta) {
				char *eq = strchr(meta, '=');
				if (!eq || eq == meta) {
					dg_err_set(err, DG_FAILED, "%s:%ld: match meta must be KEY=GLOB", cfg->path,
					           xmlGetLineNo(c));
					dg_free(meta);
					goto out;
				}
				*eq = '\0';
				m->meta_key = meta;
				m->meta_glob = dg_strdup(eq + 1);
			}
		} else if (strcmp((const char *)c->name, "option") == 0) {
			char *name = prop(c, "name");
			xmlChar *val = xmlNodeGetContent(c);
			int orc = 0;
			if (st->opts)
				orc = dg_opts_set(st->opts, name ? name : "", val ? (const char *)val : "", &oerr);
			if (orc < 0)
				dg_err_set(err, DG_FAILED, "%s:%ld: stage '%s': %s", cfg->path, xmlGetLineNo(c), st->id,
				           oerr.msg);
			dg_free(name);
			xmlFree(val);
			if (orc < 0)
				goto out;
		}
	}
	if (st->opts && dg_opts_finish(st->opts, &oerr) < 0) {
		dg_err_set(err, DG_FAILED, "%s:%ld: stage '%s': %s", cfg->path, st->line, st->id, oerr.msg);
		goto out;
	}
	rc = 0;
out:
	dg_free(onf);
	return rc;
}

static int
parse_source(struct dg_config *cfg, xmlNodePtr n, struct dg_source_conf *sc, struct dg_registry *reg,
             struct dg_err *err)
{
	size_t cap = count_children(n, "option") + 1;
	xmlNodePtr c;
	struct dg_opts *o;

	sc->line = xmlGetLineNo(n);
	sc->plugin = prop(n, "plugin");
	sc->names = dg_calloc(cap, sizeof(char *));
	sc->values = dg_calloc(cap, sizeof(char *));
	if (!sc->plugin || !sc->names || !sc->values) {
		dg_err_set(err, DG_FAILED, "out of memory");
		return -1;
	}
	for (c = n->children; c; c = c->next) {
		xmlChar *val;
		if (c->type != XML_ELEMENT_NODE || strcmp((const char *)c->name, "option") != 0)
			continue;
		val = xmlNodeGetContent(c);
		sc->names[sc->n] = prop(c, "name");
		sc->values[sc->n] = dg_strdup(val ? (const char *)val : "");
		xmlFree(val);
		if (!sc->names[sc->n] || !sc->values[sc->n]) {
			sc->n++;
			dg_err_set(err, DG_FAILED, "out of memory");
			return -1;
		}
		sc->n++;
	}
	if (!reg)
		return 0;
	{
		struct dg_err oerr = {0};
		const struct dg_module *m = dg_registry_get(reg, sc->plugin, &oerr);
		if (!m) {
			dg_err_set(err, DG_FAILED, "%s:%ld: source '%s': %s", cfg->path, sc->line, sc->plugin,
			           oerr.msg);
			return -1;
		}
		if (m->desc->kind != DG_KIND_SOURCE) {
			dg_err_set(err, DG_FAILED, "%s:%ld: plugin '%s' is not a source", cfg->path, sc->line,
			           sc->plugin);
			return -1;
		}
		o = dg_config_source_opts(cfg, m->desc, NULL, 0, err);
		if (!o)
			return -1;
		dg_opts_free(o);
	}
	return 0;
}

struct dg_opts *
dg_config_source_opts(const struct dg_config *c, const struct dg_plugin *p, const char *const *over, size_t nover,
                      struct dg_err *err)
{
	struct dg_opts *o = dg_opts_new(p);
	struct dg_err oerr = {0};
	size_t i, k, plen = strlen(p->name);

	if (!o) {
		dg_err_set(err, DG_FAILED, "out of memory");
		return NULL;
	}
	for (i = 0; c && i < c->nsources; i++) {
		const struct dg_source_conf *sc = &c->sources[i];
		if (!sc->plugin || strcmp(sc->plugin, p->name) != 0)
			continue;
		for (k = 0; k < sc->n; k++)
			if (dg_opts_set(o, sc->names[k], sc->values[k], &oerr) < 0) {
				dg_err_set(err, DG_FAILED, "%s:%ld: source '%s': %s", c->path, sc->line, p->name,
				           oerr.msg);
				goto fail;
			}
	}
	for (i = 0; i < nover; i++) {
		const char *eq = strchr(over[i], '=');
		char name[128];
		size_t nlen;
		if (strncmp(over[i], p->name, plen) != 0 || over[i][plen] != '.' || !eq)
			continue;
		nlen = (size_t)(eq - (over[i] + plen + 1));
		if (nlen >= sizeof(name)) {
			dg_err_set(err, DG_FAILED, "source option '%s': name too long", over[i]);
			goto fail;
		}
		memcpy(name, over[i] + plen + 1, nlen);
		name[nlen] = '\0';
		if (dg_opts_set(o, name, eq + 1, &oerr) < 0) {
			dg_err_set(err, DG_FAILED, "source option '%s': %s", over[i], oerr.msg);
			goto fail;
		}
	}
	if (dg_opts_finish(o, &oerr) < 0) {
		dg_err_set(err, DG_FAILED, "source '%s': %s", p->name, oerr.msg);
		goto fail;
	}
	return o;
fail:
	dg_opts_free(o);
	return NULL;
}

static int
parse_pipeline(struct dg_config *cfg, xmlNodePtr n, struct dg_pipeline *pl, struct dg_registry *reg, struct dg_err *err)
{
	xmlNodePtr c;
	size_t i, j;

	pl->name = prop(n, "name");
	pl->stages = dg_calloc(count_children(n, "stage") + 1, sizeof(*pl->stages));
	if (!pl->name || !pl->stages) {
		dg_err_set(err, DG_FAILED, "out of memory");
		return -1;
	}
	for (c = n->children; c; c = c->next) {
		if (c->type != XML_ELEMENT_NODE || strcmp((const char *)c->name, "stage") != 0)
			continue;
		if (parse_stage(cfg, c, &pl->stages[pl->nstages++], reg, err) < 0)
			return -1;
	}
	for (i = 0; i < pl->nstages; i++)
		for (j = 0; j < i; j++)
			if (strcmp(pl->stages[i].id, pl->stages[j].id) == 0) {
				dg_err_set(err, DG_FAILED, "%s:%ld: pipeline '%s': stage id '%s' used twice", cfg->path,
				           pl->stages[i].line, pl->name, pl->stages[i].id);
				return -1;
			}
	return 0;
}

int
dg_config_load(struct dg_config **out, const char *path, struct dg_registry *reg, struct dg_err *err)
{
	struct dg_config *cfg = NULL;
	xmlDocPtr doc = NULL;
	xmlNodePtr root, c;
	char *schema = NULL;
	size_t i, j;
	int rc = -1;

	*out = NULL;
	doc = dg_xml_read_file(path, err);
	if (!doc)
		goto out;
	schema = dg_path_join(dg_datadir(), "dangan.rng");
	if (!schema) {
		dg_err_set(err, DG_FAILED, "out of memory");
		goto out;
	}
	if (dg_xml_validate_rng(doc, path, schema, err) < 0)
		goto out;
	root = xmlDocGetRootElement(doc);
	cfg = dg_calloc(1, sizeof(*cfg));
	if (!cfg || !(cfg->path = dg_strdup(path)) ||
	    !(cfg->pipelines = dg_calloc(count_children(root, "pipeline") + 1, sizeof(*cfg->pipelines)))) {
		dg_err_set(err, DG_FAILED, "out of memory");
		goto out;
	}
	cfg->default_pipeline = prop(root, "default-pipeline");
	cfg->sources = dg_calloc(count_children(root, "source") + 1, sizeof(*cfg->sources));
	if (!cfg->sources) {
		dg_err_set(err, DG_FAILED, "out of memory");
		goto out;
	}
	for (c = root->children; c; c = c->next) {
		if (c->type != XML_ELEMENT_NODE || strcmp((const char *)c->name, "source") != 0)
			continue;
		if (parse_source(cfg, c, &cfg->sources[cfg->nsources++], reg, err) < 0)
			goto out;
	}
	for (c = root->children; c; c = c->next) {
		if (c->type != XML_ELEMENT_NODE || strcmp((const char *)c->name, "pipeline") != 0)
			continue;
		if (parse_pipeline(cfg, c, &cfg->pipelines[cfg->npipelines++], reg, err) < 0)
			goto out;
	}
	for (i = 0; i < cfg->npipelines; i++)
		for (j = 0; j < i; j++)
			if (strcmp(cfg->pipelines[i].name, cfg->pipelines[j].name) == 0) {
				dg_err_set(err, DG_FAILED, "%s: pipeline name '%s' used twice", path,
				           cfg->pipelines[i].name);
				goto out;
			}
	if (cfg->default_pipeline && !dg_config_pipeline(cfg, cfg->default_pipeline)) {
		dg_err_set(err, DG_FAILED, "%s: default-pipeline '%s' is not defined", path, cfg->default_pipeline);
		goto out;
	}
	*out = cfg;
	cfg = NULL;
	rc = 0;
out:
	dg_config_free(cfg);
	dg_free(schema);
	if (doc)
		xmlFreeDoc(doc);
	return rc;
}

const struct dg_pipeline *
dg_config_pipeline(const struct dg_config *c, const char *name)
{
	size_t i;

	if (!name)
		name = c->default_pipeline;
	if (!name)
		return c->npipelines ? &c->pipelines[0] : NULL;
	for (i = 0; i < c->npipelines; i++)
		if (strcmp(c->pipelines[i].name, name) == 0)
			return &c->pipelines[i];
	return NULL;
}

static int
type_matches(const char *glob, const char *type)
{
	char base[256];
	size_t n = strcspn(type, "; ");

	if (n >= sizeof(base))
		n = sizeof(base) - 1;
	memcpy(base, type, n);
	base[n] = '\0';
	return fnmatch(glob, base, 0) == 0;
}

int
dg_match_accepts(const struct dg_stage *st, const char *media_type,
                 const char *(*meta_n)(void *ctx, const char *key, size_t i), void *ctx)
{
	size_t i, k;

	if (st->nmatches == 0)
		return 1;
	for (i = 0; i < st->nmatches; i++) {
		const struct dg_match *m = &st->matches[i];
		int ok = 1;
		if (m->type && !(media_type && type_matches(m->type, media_type)))
			ok = 0;
		if (ok && m->meta_key) {
			const char *v;
			ok = 0;
			for (k = 0; (v = meta_n(ctx, m->meta_key, k)) != NULL; k++)
				if (fnmatch(m->meta_glob, v, 0) == 0) {
					ok = 1;
					break;
				}
		}
		if (ok)
			return 1;
	}
	return 0;
}
