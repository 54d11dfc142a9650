/* test-loader.c -- the plugin loader accepts a good module and refuses
 * bad magic, a different major, a newer minor and a short descriptor,
 * naming the file and both versions; options are typed and checked. */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "loader.h"
#include "tap.h"

static char *
abi_path(const char *name)
{
	const char *dir = getenv("DG_ABI_DIR");

	return dg_asprintf("%s/dg-%s.so", dir ? dir : "tests/abi/.libs", name);
}

static void
refused(const char *name, const char *must1, const char *must2)
{
	struct dg_module m;
	struct dg_err err = {0};
	char *path = abi_path(name);
	int rc = dg_module_load(path, &m, &err);

	ok(rc < 0, "%s is refused", name);
	ok(strstr(err.msg, path) != NULL, "%s: message names the file (%s)", name, err.msg);
	ok(!must1 || strstr(err.msg, must1), "%s: message says '%s'", name, must1 ? must1 : "");
	ok(!must2 || strstr(err.msg, must2), "%s: message says '%s'", name, must2 ? must2 : "");
	dg_free(path);
}

int
main(void)
{
	struct dg_module m;
	struct dg_err err = {0};
	char *path = abi_path("abi-good");
	char *dir;
	struct dg_opts *o;
	struct dg_registry *reg;

	is_int(dg_module_load(path, &m, &err), 0, "good plugin loads (%s)", err.msg);
	is_str(m.desc ? m.desc->name : NULL, "abi-good", "descriptor read");

	refused("abi-badmagic", "magic", NULL);
	{
		char plugin_v[32], engine_v[32];
		snprintf(plugin_v, sizeof(plugin_v), "ABI 2.%d", DG_ABI_MINOR);
		snprintf(engine_v, sizeof(engine_v), "engine ABI %d.%d", DG_ABI_MAJOR, DG_ABI_MINOR);
		refused("abi-badmajor", plugin_v, engine_v); /* both versions named */
	}
	refused("abi-newminor", "1.99", "newer");
	refused("abi-small", "too small", NULL);

	/* options: typed, ranged, defaulted */
	o = dg_opts_new(m.desc);
	ok(o != NULL, "option set created");
	ok(dg_opts_set(o, "level", "12", &err) < 0 && strstr(err.msg, "range"), "out-of-range int refused: %s",
	   err.msg);
	ok(dg_opts_set(o, "level", "abc", &err) < 0, "non-integer refused");
	ok(dg_opts_set(o, "nosuch", "1", &err) < 0 && strstr(err.msg, "no option"), "unknown option refused");
	ok(dg_opts_set(o, "limit", "64K", &err) == 0, "size with suffix accepted");
	ok(dg_opts_set(o, "strict", "maybe", &err) < 0, "bad boolean refused");
	ok(dg_opts_finish(o, &err) == 0, "defaults applied");
	is_int(dg_opts_int(o, "level"), 3, "int default");
	is_int(dg_opts_int(o, "limit"), 65536, "size value");
	is_int(dg_opts_bool(o, "strict"), 0, "bool default");
	ok(dg_opts_string(o, "label") == NULL, "no default, unset: NULL");
	dg_opts_free(o);
	dg_module_release(&m);

	/* registry: by name only; a name with a path in it is refused */
	dir = dg_strdup(getenv("DG_ABI_DIR") ? getenv("DG_ABI_DIR") : "tests/abi/.libs");
	reg = dg_registry_new(dir);
	ok(dg_registry_get(reg, "abi-good", &err) != NULL, "registry finds abi-good by name");
	ok(dg_registry_get(reg, "../abi-good", &err) == NULL && strstr(err.msg, "invalid plugin name"),
	   "a path as a plugin name is refused");
	ok(dg_registry_get(reg, "nosuch", &err) == NULL && strstr(err.msg, "no plugin named"),
	   "missing plugin reported");
	ok(dg_registry_get(reg, "abi-misnamed", &err) == NULL && strstr(err.msg, "calls itself"),
	   "a module whose descriptor name differs from its file is refused: %s", err.msg);
	ok(dg_registry_load_all(reg, NULL, NULL) == 4, "load_all reports the four bad modules");
	dg_registry_free(reg);
	dg_free(dir);
	dg_free(path);
	return done_testing();
}
