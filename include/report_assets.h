/* report_assets.h - the files of the audit page (assets/), embedded at
 * build time.
 *
 * scripts/embed-assets writes them into a generated C file (the Makefile's
 * build/gen/report_assets.c): each is its bytes with a NUL after them, and
 * its size without that NUL.  It refuses a script that holds "</script" or
 * "<!--", a style sheet that holds "</style", and any NUL byte, so each can
 * be written inside its element as it is.
 */
#ifndef SLIM_REPORT_ASSETS_H
#define SLIM_REPORT_ASSETS_H

#include <stddef.h>

/* assets/audit.css: the page's style sheet (inside <style>) */
extern const char asset_audit_css[];
extern const size_t asset_audit_css_len;
/* assets/audit-body.html: the page's body, the places the script fills */
extern const char asset_audit_body_html[];
extern const size_t asset_audit_body_html_len;
/* assets/audit.js: the script that draws the page from its data */
extern const char asset_audit_js[];
extern const size_t asset_audit_js_len;

#endif
