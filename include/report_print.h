/* report_print.h - the report's presenters: a finished report (report_finish()
 * called) shown as a table for people, as JSON for machines, or as a
 * self-contained HTML page.
 *
 * They read the report and audit.h's grouping of it and change neither;
 * the same report gives the same bytes every time.  Names from the input
 * are escaped (report.h's report_escape_text() and report_escape_json(),
 * and the HTML escaping below).
 */
#ifndef SLIM_REPORT_PRINT_H
#define SLIM_REPORT_PRINT_H

#include <stdio.h>

#include "report.h"
#include "util.h"

/* ---- report_text.c -------------------------------------------------------- */

/* Print the table; verbose lists every change, kept entry and skip. */
void report_print_table(const struct report *r, FILE *f, int verbose);
/* Print every error as "slim: cannot process 'PATH': MSG" on f. */
void report_print_errors(const struct report *r, FILE *f);
/* The table's part from audit.h (exposed for tests): bytes saved by kind,
 * then the packages that save most (left out when no path belongs to a
 * package). */
void report_print_table_groups(const struct report *r, FILE *f);

/* ---- report_json.c -------------------------------------------------------- */

/* Print the JSON object (REPORT_SCHEMA_VERSION) with exit_status in it.
 * Written as it is formatted: a report of a million changes is never held
 * whole as text. */
void report_print_json(const struct report *r, FILE *f, int exit_status);
/* The JSON's part from audit.h (exposed for tests): append
 * `  "by_package": [...],\n  "by_kind": {...},\n` (two members of the
 * object, each followed by a comma) to j. */
void report_print_json_groups(const struct report *r, struct buf *j);

/* ---- report_html.c -------------------------------------------------------- */

/* A self-contained HTML page (inline style and script from assets/, no
 * network): a treemap of bytes by package, directory and file coloured by
 * what slim does, with the totals and the groups beside it.  The data goes
 * in as JSON in a <script type="application/json"> element. */
void report_print_html(const struct report *r, FILE *f);

/* Escaping, exposed for tests.  HTML text: & < > " ' become entities and
 * control or invalid UTF-8 bytes become \xNN as in report_escape_text().
 * Script JSON: like report_escape_json(), with every < > & written as
 * \u003c \u003e \u0026 so the text can sit in a <script> element. */
void report_escape_html(struct buf *out, const char *s);
void report_escape_script_json(struct buf *out, const char *s);

#endif
