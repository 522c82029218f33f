/* sink_dir.h - the tree itself as the output: decisions are carried out
 * in place (or, in a dry run, only checked and counted).
 *
 * Works with an in-place tree source (source_dir.h).  What it does, and
 * the safety each step keeps:
 *   - the root is locked (flock) for the whole run: a second run waits; a
 *     dry run shares the lock with other dry runs;
 *   - temporary files a killed run left are removed; a journal it left
 *     (".slim-link-*.tmp") is finished only when it proves to be what this
 *     run would make, else reported and left;
 *   - what the rules drop is removed with unlinkat on directory
 *     descriptors, never crossing into another file system, on at least
 *     16 threads beside the strip pass (an unlink may wait on the device);
 *     an entry that cannot be removed is left with its parents and one
 *     error for its dropped subtree;
 *   - a stripped file replaces the original atomically (a temporary file
 *     beside it, exchanged with the name, which must still hold the file
 *     stripped), its other names moved to it with a journal naming the
 *     new file while they move; the original's last descriptor goes to
 *     closer threads (its blocks may take a while to free);
 *   - a file with names outside the tree is never rewritten, never linked;
 *   - dedup's copies are made hard links to the kept copy (fsu_relink:
 *     link to a temporary name, exchanged with the name).
 * The removal runs beside the strip pass and dedup's hashing; dedup waits
 * for it before it links (it counts names).
 */
#ifndef SLIM_SINK_DIR_H
#define SLIM_SINK_DIR_H

#include <stdint.h>

#include "sink.h"
#include "slim.h"
#include "source.h"

/* A sink for src (from source_dir_open), locking its root now (waiting
 * for another run on it, and saying so unless quiet). */
struct sink *sink_dir_new(const struct slim_opts *o, struct source *src);

/* In a container build: how many files (and bytes) that came from lower
 * image layers the run rewrote (container.h). */
void sink_dir_lower(const struct sink *k, uint64_t *files, uint64_t *bytes);

#endif
