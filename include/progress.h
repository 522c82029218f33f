/* progress.h - one line of progress on stderr, rewritten in place.
 *
 * Only while stderr is a terminal and the run is not quiet (o->progress:
 * progress_enable() turns it on), at most about four times a second: a
 * step asks progress_due() (cheap: a clock read) before it formats
 * anything.  The line is "slim: LABEL: TEXT", LABEL being what the run is
 * at as a whole ("layer 2/5"), TEXT what the step does ("reading 12.0 MiB
 * of 40.0 MiB (30%), 120 entries").  A step clears the line when it ends,
 * so that what stderr says next starts on a clean line.
 *
 * There is one terminal: the state is the process's, used from the main
 * thread only (the strip pass's workers do not print; the thread that
 * waits for them does).
 */
#ifndef SLIM_PROGRESS_H
#define SLIM_PROGRESS_H

#include <stdbool.h>

#include "util.h"

/* Turn progress on (on: o->progress).  $SLIM_PROGRESS_DELAY sets the
 * least milliseconds between two lines (default 250; 0 every time: for
 * tests, which cannot wait for a slow run). */
void progress_enable(bool on);
bool progress_on(void);

/* What the run is at, put before each line (NULL: nothing); copied. */
void progress_label(const char *fmt, ...) SLIM_PRINTF(1, 2);

/* Is a new line due (on, and the delay passed since the last one)? */
bool progress_due(void);

/* Show TEXT (printf format) as the line now. */
void progress_show(const char *fmt, ...) SLIM_PRINTF(1, 2);

/* Erase the line if one is shown. */
void progress_clear(void);

#endif
