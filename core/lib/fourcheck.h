/*
 * fourcheck.h -- the four-property checks (四性检测) of DA/T 70-2018
 * and GB/T 18894-2016: authenticity (真实性), integrity (完整性),
 * usability (可用性) and security (安全性), run on the documents of an
 * export or an import and on the package itself, and written as an XML
 * report and a readable summary.
 *
 * Item codes follow the standard's scheme <环节>-<性>-<n>: the 环节 is
 * "YJ" (移交与接收: export for transfer, import on receipt) or "GD"
 * (归档); 性 1..4 as above; n as in the item table of
 * ../docs/four-properties.md (the numbers the standard's users quote).
 * Memory is bounded: per item, counts plus the first problems only.
 * Internal.
 */
#ifndef DG_FOURCHECK_H
#define DG_FOURCHECK_H

#include <stdint.h>

#include "dangan/plugin.h"
#include "util.h"

struct dg_fourcheck;

/* stage: "YJ" or "GD"; format and package name what is checked. */
struct dg_fourcheck *dg_fourcheck_new(const char *stage, const char *format, const char *package);
void dg_fourcheck_free(struct dg_fourcheck *fc);

/* Check one stored document (a view from dg_stored_doc_load):
 * fixity of every part (re-hashed from the store), metadata length,
 * format, special characters, 档号 pattern, repeats, required items,
 * process history, content present and readable, format fit for
 * long-term preservation, executable content. */
void dg_fourcheck_doc(struct dg_fourcheck *fc, struct dg_doc *doc);
/* The same, with the original's fixity already proved by whoever copied
 * it (an export plugin with DG_PLUGIN_CHECKS_FIXITY): counted as
 * checked, not read again. */
void dg_fourcheck_doc_copied(struct dg_fourcheck *fc, struct dg_doc *doc);
/* Record one finding of the package check (the format plugin's
 * verify()): errors fail 信息包一致性 (n = 14), warnings are noted. */
void dg_fourcheck_package_finding(struct dg_fourcheck *fc, enum dg_finding_level level, const char *code,
                                  const char *where, const char *msg);
/* The package check ran (ran = 1) or could not (0: no verify() for
 * the format, or skipped on request), and the totals expected. */
void dg_fourcheck_package_done(struct dg_fourcheck *fc, int ran, int64_t docs_selected, int64_t docs_written);
/* The 档号 pattern (POSIX extended regex); NULL: the DA/T 22-2015 default. */
int dg_fourcheck_set_danghao_pattern(struct dg_fourcheck *fc, const char *ere, struct dg_err *err);

/* Write base.xml and base.txt (atomically).  0 or -1 with err. */
int dg_fourcheck_write(struct dg_fourcheck *fc, const char *base, struct dg_err *err);
/* Number of items that failed (不通过) and that warned. */
int dg_fourcheck_failed(const struct dg_fourcheck *fc);
int dg_fourcheck_warned(const struct dg_fourcheck *fc);

#endif
