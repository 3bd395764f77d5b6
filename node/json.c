/*
 * json.c: minimal JSON writer.
 */
#include <inttypes.h>

#include "gs/change.h"
#include "gs/json.h"

void
gs_json_init(struct gs_json *j, FILE *f)
{
	j->f = f;
	j->depth = 0;
	j->first[0] = true;
	j->after_key = false;
}

/* Writes the comma a new value needs, unless it follows its key. */
static void
sep(struct gs_json *j)
{
	if (j->after_key) {
		j->after_key = false;
		return;
	}
	if (!j->first[j->depth])
		fputc(',', j->f);
	j->first[j->depth] = false;
}

static void
open_(struct gs_json *j, int ch)
{
	sep(j);
	fputc(ch, j->f);
	if (j->depth + 1 < GS_JSON_DEPTH_MAX)
		j->depth++;
	j->first[j->depth] = true;
}

static void
close_(struct gs_json *j, int ch)
{
	fputc(ch, j->f);
	if (j->depth > 0)
		j->depth--;
}

void gs_json_obj_open(struct gs_json *j) { open_(j, '{'); }
void gs_json_obj_close(struct gs_json *j) { close_(j, '}'); }
void gs_json_arr_open(struct gs_json *j) { open_(j, '['); }
void gs_json_arr_close(struct gs_json *j) { close_(j, ']'); }

static void
raw_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"': fputs("\\\"", f); break;
		case '\\': fputs("\\\\", f); break;
		case '\n': fputs("\\n", f); break;
		case '\r': fputs("\\r", f); break;
		case '\t': fputs("\\t", f); break;
		default:
			if (*p < 0x20)
				fprintf(f, "\\u%04x", *p);
			else
				fputc(*p, f);
		}
	}
	fputc('"', f);
}

void
gs_json_key(struct gs_json *j, const char *k)
{
	sep(j);
	raw_str(j->f, k);
	fputc(':', j->f);
	j->after_key = true;
}

void
gs_json_str(struct gs_json *j, const char *s)
{
	sep(j);
	raw_str(j->f, s ? s : "");
}

void
gs_json_u64(struct gs_json *j, uint64_t v)
{
	sep(j);
	fprintf(j->f, "%" PRIu64, v);
}

void
gs_json_bool(struct gs_json *j, bool v)
{
	sep(j);
	fputs(v ? "true" : "false", j->f);
}

void
gs_json_num4(struct gs_json *j, double v)
{
	sep(j);
	fprintf(j->f, "%.4f", v);
}

void
gs_json_null(struct gs_json *j)
{
	sep(j);
	fputs("null", j->f);
}

void
gs_json_hex(struct gs_json *j, const uint8_t *b, size_t len)
{
	char buf[2 * 64 + 1];

	if (len > 64)
		len = 64;
	gs_hex(b, len, buf);
	gs_json_str(j, buf);
}

void
gs_json_end(struct gs_json *j)
{
	fputc('\n', j->f);
	fflush(j->f);
}
