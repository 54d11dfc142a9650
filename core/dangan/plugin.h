/*
 * dangan/plugin.h -- the plugin ABI of the dangan document engine.
 *
 * A plugin is a shared module (dg-<name>.so) that exports exactly one
 * function, DG_PLUGIN_SYMBOL, returning a pointer to a constant
 * struct dg_plugin.  The loader checks, in this order:
 *
 *   magic == DG_PLUGIN_MAGIC
 *   abi_major == DG_ABI_MAJOR of the engine
 *   abi_minor <= DG_ABI_MINOR of the engine (a plugin built against a
 *                newer header may use host functions this engine lacks)
 *   struct_size >= DG_PLUGIN_MIN_SIZE
 *
 * and refuses the module with a message naming the file and both
 * versions otherwise.
 *
 * A plugin never calls into the engine by symbol: every service comes
 * through the struct dg_host table passed to each callback, so a plugin
 * built against an older header keeps working when the table grows
 * (new members are only ever appended; host->struct_size says how many
 * there are).
 *
 * Lifecycle of a stage plugin instance:
 *   init(ctx, opts, &state)       once per instance
 *   bid(ctx, state, doc)          optional: 0 = not for me, 1..100 = fit
 *   process(ctx, state, doc)      once per matching document
 *   fini(state)                   once per instance
 * If flags has DG_PLUGIN_SHARED one instance serves all worker threads
 * at once (process must be thread-safe); otherwise the engine creates
 * one instance per worker thread and never calls it concurrently.
 * process() may be re-entered on the same thread for a child document
 * that it emitted itself (a zip inside a zip): keep per-call state on
 * the stack, not in the instance.
 *
 * A source plugin implements scan(): it turns a locator (a path given
 * on the command line, a URL, ...) into documents and hands each to
 * host->emit().  Any stage may also emit child documents (the entries
 * of an archive, the attachments of a mail): they run through the
 * whole pipeline before emit() returns.
 *
 * An export plugin (DG_KIND_EXPORT, ABI 1.3) writes stored documents
 * into a package (a BagIt bag, an OCFL storage root, EEP files, ...):
 *   init(ctx, opts, &state)
 *   export_begin(ctx, state, out)  out: the path to create, a file or a
 *                                  directory as the format wants; it is
 *                                  a temporary name beside the final one
 *   process(ctx, state, doc)       once per selected stored document,
 *                                  one at a time, on one thread; with
 *                                  DG_PLUGIN_CONCURRENT (ABI 1.5) on
 *                                  several threads at once, each with
 *                                  its own ctx (see host->in_order)
 *   export_end(ctx, state)         finish the package (checksums, ...)
 *   fini(state)
 * The engine syncs the package to disk (one syncfs) and renames out to
 * the final name only after export_end() succeeds, and removes it
 * otherwise: a failed export leaves nothing under the final name, and
 * plugins need not fsync each file they write.  The export's own check
 * (verify() on out, unless --no-verify) runs while the package is
 * synced, before the rename; its findings are reported under the final
 * name.  Stored documents are read through the host's
 * meta_*, part_* and the ABI 1.3 doc_* / *_n functions; they are read
 * only.  verify(ctx, state, path), optional, checks a package of the
 * format (any producer's) and reports every finding with
 * host->finding(); scan()/bid_locator(), optional, make the plugin the
 * importer of its format (`dangan import`): it emits the documents of a
 * package as a source does.
 *
 * A trainable classifier (DG_KIND_CLASSIFY with train(), ABI 1.4) learns
 * from labelled stored documents (`dangan train`):
 *   init(ctx, opts, &state)        opts: the training options (-O)
 *   train(ctx, state, set, out)    read set's documents (one at a time,
 *                                  as often as it needs), report the
 *                                  held-out predictions asked for, and
 *                                  write the model to the file out
 *   fini(state)
 * The engine stores the model as an object, records it in the plugin's
 * state directory (file "history") and installs it there as the file
 * "model" (atomically): the stage's init() reads it from state_dir().
 */
#ifndef DANGAN_PLUGIN_H
#define DANGAN_PLUGIN_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define DG_PLUGIN_MAGIC 0x44474e50u /* "DGNP" */
#define DG_ABI_MAJOR 1
#define DG_ABI_MINOR 7
#define DG_PLUGIN_SYMBOL "dg_plugin_descriptor"

#if defined(__GNUC__)
#define DG_EXPORT __attribute__((visibility("default")))
#define DG_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define DG_EXPORT
#define DG_PRINTF(f, a)
#endif

/* One status scale for every callback. */
enum dg_status {
	DG_OK = 0,       /* done */
	DG_DECLINED = 1, /* not for me; the document goes on unchanged */
	DG_RETRY = 2,    /* transient failure; the engine may call again */
	DG_WARN = 3,     /* done, with a problem worth recording */
	DG_FAILED = 4,   /* this document failed: on-failure policy applies */
	DG_FATAL = 5     /* this stage is broken: disable it for the run */
};

enum dg_kind {
	DG_KIND_SOURCE = 1,
	DG_KIND_DETECT = 2,
	DG_KIND_TRANSFORM = 3,
	DG_KIND_CLASSIFY = 4,
	DG_KIND_VALIDATE = 5,
	DG_KIND_EXPORT = 6,
	DG_KIND_STORE = 7
};

/* Plugin flags. */
#define DG_PLUGIN_SHARED 0x1u /* one instance may serve all threads */
/* An export plugin whose process() hashes every part it copies and
 * fails the document when the bytes do not match the part's id: the
 * engine then takes the original's fixity as checked and does not read
 * it a second time for the four-property report (ABI 1.3). */
#define DG_PLUGIN_CHECKS_FIXITY 0x2u
/* An export plugin whose process() may run for several documents at
 * once, on as many threads, each call with its own ctx (ABI 1.5).  The
 * documents are handed out in selection order; what must follow that
 * order (a running number, the claim of a file name) goes through
 * host->in_order().  export_begin, export_end and verify are still
 * called alone. */
#define DG_PLUGIN_CONCURRENT 0x4u

/* Declarative options: the engine parses, checks, defaults and
 * documents them; the plugin only reads typed values. */
enum dg_opt_type {
	DG_OPT_STRING = 1,
	DG_OPT_INT = 2,  /* signed 64-bit, checked against min..max */
	DG_OPT_BOOL = 3, /* true/false/yes/no/1/0 */
	DG_OPT_SIZE = 4  /* bytes, with optional K/M/G/T suffix (1024-based) */
};

struct dg_option {
	const char *name;
	enum dg_opt_type type;
	const char *default_value; /* as text; NULL = no default (unset) */
	const char *help;
	int64_t min, max; /* for INT and SIZE; min == max == 0: no range */
};

/* Opaque engine objects. */
struct dg_ctx;    /* one call's context: engine, stage, error detail */
struct dg_doc;    /* a document being processed */
struct dg_opts;   /* parsed option values of one stage instance */
struct dg_writer; /* a part being written into the store */

enum dg_log_level { DG_LOG_ERROR = 0, DG_LOG_WARN = 1, DG_LOG_INFO = 2, DG_LOG_DEBUG = 3 };

/* Part roles used by the engine itself. */
#define DG_ROLE_ORIGINAL "original"
#define DG_ROLE_TEXT "text"

/* ABI 1.3: what the host tells of a stored document (export).  These
 * structs never grow: later fields come with new functions. */
struct dg_part_info {
	const char *role;       /* DG_ROLE_ORIGINAL, DG_ROLE_TEXT, "hocr", ... */
	const char *media_type; /* may be NULL */
	const char *id;         /* "sha256:<hex>" of the bytes */
	const char *path;       /* readable file (the store's object), read only */
	int64_t size;
};

struct dg_event_info {
	const char *type;   /* "ingest", "stage", "duplicate", "quarantine", ... */
	const char *stage;  /* stage id, may be NULL */
	const char *plugin; /* may be NULL (the engine itself) */
	const char *plugin_version;
	const char *outcome; /* "ok", "warn", "declined", "failed", ... */
	const char *message; /* may be NULL */
	int64_t at_us;       /* microseconds since the epoch (UTC) */
	int64_t duration_us;
};

struct dg_relation_info {
	const char *kind;  /* "contained-in", "contains", ... */
	const char *id;    /* "sha256:<hex>" of the other document */
	const char *label; /* may be NULL (the path inside an archive, ...) */
};

/* ABI 1.4: the labelled documents handed to a plugin's train().  The
 * struct only grows at its end (struct_size says how much there is). */
struct dg_train_set {
	uint32_t struct_size;
	size_t n;              /* documents, each with a label */
	int folds;             /* > 1: report k-fold cross-validated predictions */
	double test_split;     /* 0 < f < 1: hold out this fraction instead */
	const char *catalogue; /* the catalogue the labels belong to, or NULL */
	/* The label (a document-type code) of document i, without reading it. */
	const char *(*label)(const struct dg_train_set *set, size_t i);
	/* Document i, read from the store (a stored document: part_path(),
	 * meta_get() and doc_id() work on it); valid until the next call.
	 * NULL with the error set on ctx when it cannot be read. */
	struct dg_doc *(*doc)(struct dg_ctx *ctx, const struct dg_train_set *set, size_t i);
	/* Report the prediction for held-out document i (by a model that did
	 * not see it): the code and its probability.  The engine computes
	 * accuracy, macro-F1 and the confusion table from these. */
	void (*held_out)(const struct dg_train_set *set, size_t i, const char *code, double p);
	void *host_data; /* the engine's */
};

/* Severity of a verification or check finding. */
enum dg_finding_level {
	DG_FINDING_PASS = 0, /* a check that was run and passed */
	DG_FINDING_INFO = 1, /* worth telling, not a problem */
	DG_FINDING_WARN = 2, /* valid, with a warning */
	DG_FINDING_ERROR = 3 /* the package is not valid */
};

/*
 * The host-API table.  All functions returning int return 0 on success
 * and -1 on error with detail set on the context (host->error()).
 * Strings returned by the host belong to the engine and stay valid
 * until the document is finished unless said otherwise.
 */
struct dg_host {
	uint32_t struct_size;
	uint16_t abi_major, abi_minor;

	/* Logging and error detail ------------------------------------ */
	void (*log)(struct dg_ctx *ctx, enum dg_log_level level, const char *fmt, ...) DG_PRINTF(3, 4);
	/* Set the reason of a failure; the engine records it in the
	 * document's history and, on FAILED, in the quarantine entry. */
	void (*error)(struct dg_ctx *ctx, const char *fmt, ...) DG_PRINTF(2, 3);

	/* Options (typed; the name must be in the plugin's table) ------- */
	const char *(*opt_string)(const struct dg_opts *opts, const char *name);
	int64_t (*opt_int)(const struct dg_opts *opts, const char *name); /* INT and SIZE */
	int (*opt_bool)(const struct dg_opts *opts, const char *name);

	/* Metadata: key -> list of UTF-8 values.  Keys starting with '@'
	 * are scratch between stages and never stored.  meta_set replaces
	 * the key's values; meta_add appends a value the key does not hold
	 * yet (one it holds is not added twice: an imported document whose
	 * values the pipeline finds again keeps each once). */
	const char *(*meta_get)(struct dg_doc *doc, const char *key);
	size_t (*meta_count)(struct dg_doc *doc, const char *key);
	const char *(*meta_get_n)(struct dg_doc *doc, const char *key, size_t i);
	int (*meta_set)(struct dg_doc *doc, const char *key, const char *value);
	int (*meta_add)(struct dg_doc *doc, const char *key, const char *value);

	/* The document's media type ("application/zip"), as detected.
	 * Set on a new document before emit(), the engine takes the type
	 * as given and does not detect it: do so only when the emitter knows
	 * what the bytes are (a message split from an mbox), never from a
	 * claim inside untrusted data (an attachment's Content-Type). */
	const char *(*media_type)(struct dg_doc *doc);
	int (*set_media_type)(struct dg_doc *doc, const char *type);
	/* Detect the media type of a file with the engine's detector;
	 * writes into buf (at least 128 bytes). */
	int (*detect_file)(struct dg_ctx *ctx, const char *path, char *buf, size_t cap);

	/* Parts ------------------------------------------------------- */
	/* A readable path of the part with that role (NULL if none).  The
	 * file is read-only and must not be modified. */
	const char *(*part_path)(struct dg_doc *doc, const char *role);
	int64_t (*part_size)(struct dg_doc *doc, const char *role);
	/* Add a derived part from memory. */
	int (*part_add_mem)(struct dg_ctx *ctx, struct dg_doc *doc, const char *role, const char *media_type,
	                    const void *buf, size_t len);

	/* Streaming writer: bytes are hashed and written into the store's
	 * temporary area as they come.  writer_finish() attaches the
	 * result as a part (role DG_ROLE_ORIGINAL on a new document sets
	 * its original) and frees the writer; writer_abort() drops it. */
	struct dg_writer *(*writer_open)(struct dg_ctx *ctx);
	int (*writer_write)(struct dg_writer *w, const void *buf, size_t len);
	int (*writer_finish)(struct dg_ctx *ctx, struct dg_writer *w, struct dg_doc *doc, const char *role,
	                     const char *media_type);
	void (*writer_abort)(struct dg_writer *w);
	/* Bytes written so far (for limits). */
	int64_t (*writer_size)(const struct dg_writer *w);

	/* Documents --------------------------------------------------- */
	/* A new empty document; parent may be NULL (a source's top-level
	 * document) or the document it was found in.  A child is related to
	 * its parent both ways ("contained-in" and "contains"), labelled by
	 * its metadata "@relation.label" or else "archive.path". */
	struct dg_doc *(*doc_new)(struct dg_ctx *ctx, struct dg_doc *parent);
	/* Set the original of a new document to a file on disk.  The file
	 * is opened read-only (never followed through a final symlink) and
	 * copied into the store when the document is processed. */
	int (*doc_set_original_file)(struct dg_ctx *ctx, struct dg_doc *doc, const char *path);
	/* Hand a new document to the engine; ownership passes to it, in
	 * every case.  From a source: queued for the worker pool.  From a
	 * stage: processed now, as a child.  Returns the document's final
	 * status (DG_OK, DG_WARN, DG_FAILED when quarantined, ...), or
	 * DG_FATAL when the run is being aborted: stop emitting then. */
	int (*emit)(struct dg_ctx *ctx, struct dg_doc *doc);
	/* Drop a document that was never emitted. */
	void (*doc_free)(struct dg_doc *doc);
	/* Add a provenance note to the current stage's event. */
	int (*note)(struct dg_ctx *ctx, struct dg_doc *doc, const char *fmt, ...) DG_PRINTF(3, 4);
	/* Nesting depth of this document (0 = top level). */
	int (*depth)(struct dg_doc *doc);
	/* A fresh temporary directory for this call, removed by the engine
	 * after the document is finished.  Returns its path. */
	const char *(*temp_dir)(struct dg_ctx *ctx, struct dg_doc *doc);

	/* ABI 1.1 ------------------------------------------------------ */
	/* In-memory objects shared by the stages of one document (the
	 * decoded pages of a scan, so that no stage decodes the original
	 * again).  Keys start with '@' and are never stored.  Setting a key
	 * again destroys the previous object; the engine destroys what is
	 * left when the document is finished.  Plugins that share an object
	 * agree on its type by the key's documented contract. */
	int (*scratch_set)(struct dg_doc *doc, const char *key, void *obj, void (*destroy)(void *obj));
	void *(*scratch_get)(struct dg_doc *doc, const char *key);
	/* Add a derived part from a file (copied into the store while it is
	 * hashed; the file itself is left alone). */
	int (*part_add_file)(struct dg_ctx *ctx, struct dg_doc *doc, const char *role, const char *media_type,
	                     const char *path);

	/* ABI 1.2 ------------------------------------------------------ */
	/* From a source: emit(), and learn the document's durable fate.
	 * done(arg, status, id) is called exactly once, on another thread,
	 * after the document is committed and synced to disk (DG_OK or
	 * DG_WARN; a duplicate of a stored document is DG_OK), quarantined
	 * durably (DG_FAILED), or dropped uncommitted (DG_FATAL: the run was
	 * aborted or its commit failed).  id is "sha256:<hex>", or NULL when
	 * the document had no bytes.  Use it for actions that must wait for
	 * the commit (flag or move a mail on its server). */
	int (*emit_tracked)(struct dg_ctx *ctx, struct dg_doc *doc, void (*done)(void *arg, int status, const char *id),
	                    void *arg);
	/* From a source: block until every document it emitted so far is
	 * durable or dropped, i.e. all their done() calls have returned.
	 * Returns DG_OK, or DG_FATAL when the run is being aborted. */
	int (*wait_durable)(struct dg_ctx *ctx);
	/* A directory private to this plugin in this store that survives
	 * between runs (what an incremental source has already fetched).
	 * Created on first use; NULL with the error set on failure.  Write
	 * files there atomically (temp file, fsync, rename). */
	const char *(*state_dir)(struct dg_ctx *ctx);

	/* ABI 1.3 ------------------------------------------------------ */
	/* Stored documents (handed to an export plugin's process()).
	 * doc_id: "sha256:<hex>" of the original (NULL for a document
	 * without bytes); doc_version: "sha256:<hex>" of this version's
	 * manifest; doc_created: when this version was committed (µs since
	 * the epoch, UTC).  On a document being ingested doc_version is
	 * NULL and doc_created 0. */
	const char *(*doc_id)(struct dg_doc *doc);
	const char *(*doc_version)(struct dg_doc *doc);
	int64_t (*doc_created)(struct dg_doc *doc);
	/* The i-th metadata pair, parts, events (this version's history)
	 * and relations, in stored order.  Return 0 and fill the out
	 * arguments, or -1 past the end. */
	int (*meta_n)(struct dg_doc *doc, size_t i, const char **key, const char **value);
	int (*part_n)(struct dg_doc *doc, size_t i, struct dg_part_info *out);
	int (*event_n)(struct dg_doc *doc, size_t i, struct dg_event_info *out);
	int (*relation_n)(struct dg_doc *doc, size_t i, struct dg_relation_info *out);
	/* The previous version of a stored document, NULL for the first
	 * (or with the error set when it cannot be read).  It belongs to
	 * doc and lives as long as doc does. */
	struct dg_doc *(*doc_previous)(struct dg_ctx *ctx, struct dg_doc *doc);
	/* Report a finding of verify() or of a check: code is the
	 * format's own code ("E040" for OCFL, "GD-1-1" for DA/T 70, ...) or
	 * NULL; where names the file or element concerned, or NULL. */
	void (*finding)(struct dg_ctx *ctx, enum dg_finding_level level, const char *code, const char *where,
	                const char *fmt, ...) DG_PRINTF(5, 6);
	/* Exports: a progress tick (bytes written since the last call);
	 * the engine draws the progress line. */
	void (*progress)(struct dg_ctx *ctx, int64_t bytes);

	/* ABI 1.5 ------------------------------------------------------ */
	/* In an export's process(): call fn(arg) once every document before
	 * this one in the selection has had its turn (its own in_order()
	 * call, or the end of its process() without one), so that what fn
	 * does happens in selection order however the threads of a
	 * DG_PLUGIN_CONCURRENT export run.  One turn per process(): a
	 * second call, or a call outside an export, runs fn at once. */
	void (*in_order)(struct dg_ctx *ctx, void (*fn)(void *arg), void *arg);
	/* In an export's process(): nonzero when the engine will run the
	 * plugin's verify() on the finished package, so that a check
	 * verify() makes of every package need not be made twice. */
	int (*export_verified)(struct dg_ctx *ctx);

	/* ABI 1.6 ------------------------------------------------------ */
	/* How many documents the run works on at once: in `dangan ingest`,
	 * its worker threads (-j N; by default one per CPU); 1 anywhere
	 * else.  A stage that spreads one document's work over threads of
	 * its own (the pages of a scan) takes this as its share of the
	 * CPUs, so that -j 1 keeps the whole run on one. */
	int (*workers)(struct dg_ctx *ctx);

	/* ABI 1.7 ------------------------------------------------------ */
	/* In a stage's process(): how far the stage is through doc, done
	 * of total units ("pages"; total 0: not known).  On a terminal,
	 * ingest shows the latest such report on its progress line until
	 * the document leaves the pipeline, so that a long document (a box
	 * scanned as one PDF) is seen to move; elsewhere it is ignored.
	 * Callable from any thread of the stage's, also while another of
	 * them calls the host for doc: it reads none of doc's metadata,
	 * only the name taken when doc entered the pipeline. */
	void (*stage_progress)(struct dg_ctx *ctx, struct dg_doc *doc, int64_t done, int64_t total, const char *unit);
};

/* Does this host provide member m?  (A plugin built against a newer
 * header checks before calling what an older engine may lack.) */
#define DG_HOST_HAS(host, m) ((host)->struct_size >= offsetof(struct dg_host, m) + sizeof((host)->m))

struct dg_plugin {
	uint32_t magic;       /* DG_PLUGIN_MAGIC */
	uint16_t abi_major;   /* DG_ABI_MAJOR the plugin was built with */
	uint16_t abi_minor;   /* DG_ABI_MINOR the plugin was built with */
	uint32_t struct_size; /* sizeof(struct dg_plugin) */
	const char *name;     /* [a-z0-9-]+, same as in dg-<name>.so */
	const char *version;  /* the plugin's own version */
	const char *summary;  /* one line */
	enum dg_kind kind;
	uint32_t flags;                  /* DG_PLUGIN_* */
	const struct dg_option *options; /* terminated by {NULL} */

	int (*init)(struct dg_ctx *ctx, const struct dg_host *host, const struct dg_opts *opts, void **state);
	void (*fini)(void *state);
	/* Stages: how well this document fits (0 = no, 1..100).  May be
	 * NULL: every document that passes the stage's match fits. */
	int (*bid)(struct dg_ctx *ctx, const struct dg_host *host, void *state, struct dg_doc *doc);
	int (*process)(struct dg_ctx *ctx, const struct dg_host *host, void *state, struct dg_doc *doc);
	/* Sources: how well a locator fits (0 = no, 1..100), then scan. */
	int (*bid_locator)(const char *locator);
	int (*scan)(struct dg_ctx *ctx, const struct dg_host *host, void *state, const char *locator);

	/* ABI 1.3: exports (see the top of this file).  export_begin and
	 * export_end are required of DG_KIND_EXPORT; verify is optional. */
	int (*export_begin)(struct dg_ctx *ctx, const struct dg_host *host, void *state, const char *out);
	int (*export_end)(struct dg_ctx *ctx, const struct dg_host *host, void *state);
	int (*verify)(struct dg_ctx *ctx, const struct dg_host *host, void *state, const char *path);

	/* ABI 1.4: a trainable classifier (see the top of this file).  May
	 * be NULL.  Returns DG_OK when out holds a complete model. */
	int (*train)(struct dg_ctx *ctx, const struct dg_host *host, void *state, const struct dg_train_set *set,
	             const char *out);
};

/* Does this descriptor provide member m? (One built against an older
 * header is shorter.) */
#define DG_PLUGIN_HAS(desc, m) ((desc)->struct_size >= offsetof(struct dg_plugin, m) + sizeof((desc)->m))

/* Smallest descriptor the loader accepts (ABI 1.0 layout). */
#define DG_PLUGIN_MIN_SIZE (offsetof(struct dg_plugin, scan) + sizeof(void *))

/* Convenience for plugin authors: the header fields of a descriptor. */
#define DG_PLUGIN_HEADER                                                                                               \
	.magic = DG_PLUGIN_MAGIC, .abi_major = DG_ABI_MAJOR, .abi_minor = DG_ABI_MINOR,                                \
	.struct_size = sizeof(struct dg_plugin)

/* Declare the one exported function of a module. */
#define DG_PLUGIN_DEFINE(desc)                                                                                         \
	DG_EXPORT const struct dg_plugin *dg_plugin_descriptor(void);                                                  \
	DG_EXPORT const struct dg_plugin *dg_plugin_descriptor(void)                                                   \
	{                                                                                                              \
		return &(desc);                                                                                        \
	}

#ifdef __cplusplus
}
#endif
#endif /* DANGAN_PLUGIN_H */
