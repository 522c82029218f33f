/* libFuzzer target: the ELF and archive stripper, buffer in, buffer out.
 * Whatever the input, strip_buffer must not crash, and an output it calls
 * good must be smaller, must parse again, and must not be strippable
 * further by more than its own rewrite (idempotence). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "strip.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct strip_opts o = { .strip_objects = 1 };
	struct strip_result r = STRIP_RESULT_INIT, r2 = STRIP_RESULT_INIT;

	strip_init();
	if (strip_buffer(data, size, &o, &r) == STRIP_CHANGED) {
		if (r.outlen >= size)
			abort();
		/* a second strip finds nothing more to do, or fails cleanly */
		if (strip_buffer(r.out, r.outlen, &o, &r2) == STRIP_CHANGED && r2.outlen >= r.outlen)
			abort();
	}
	strip_result_release(&r);
	strip_result_release(&r2);
	return 0;
}
