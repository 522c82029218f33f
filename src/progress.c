/* progress.c - one line of progress on stderr (progress.h). */
#include "progress.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static struct {
	bool on;
	bool shown;       /* a line is on the terminal */
	uint64_t delay;   /* least ns between two lines */
	uint64_t last;    /* when the last line was shown, or the run began */
	char label[64];
} P;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void progress_enable(bool on)
{
	const char *d = getenv("SLIM_PROGRESS_DELAY");
	char *end;
	unsigned long ms = 250;

	if (d && *d) {
		ms = strtoul(d, &end, 10);
		if (*end)
			ms = 250;
	}
	P.on = on;
	P.delay = (uint64_t)ms * 1000000u;
	/* a run that ends within the delay prints none */
	P.last = now_ns();
}

bool progress_on(void)
{
	return P.on;
}

void progress_label(const char *fmt, ...)
{
	va_list ap;

	P.label[0] = '\0';
	if (!fmt)
		return;
	va_start(ap, fmt);
	vsnprintf(P.label, sizeof(P.label), fmt, ap);
	va_end(ap);
}

bool progress_due(void)
{
	return P.on && (!P.delay || now_ns() - P.last >= P.delay);
}

void progress_show(const char *fmt, ...)
{
	va_list ap;

	if (!P.on)
		return;
	/* \033[K: what a longer line before left is erased */
	fprintf(stderr, "\rslim: %s%s", P.label, P.label[0] ? ": " : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\033[K", stderr);
	fflush(stderr);
	P.shown = true;
	P.last = now_ns();
}

void progress_clear(void)
{
	if (!P.shown)
		return;
	fputs("\r\033[K", stderr);
	fflush(stderr);
	P.shown = false;
}
