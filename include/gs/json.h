/*
 * json.h: a minimal JSON writer for the CLI's --json output.
 *
 * Strings are written as UTF-8 with quotes, backslashes and control
 * characters escaped; input is already validated UTF-8. The writer tracks
 * commas itself: call gs_json_key before each member value of an object.
 */
#ifndef GS_JSON_H
#define GS_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define GS_JSON_DEPTH_MAX 16

struct gs_json {
	FILE *f;
	int   depth;
	bool  first[GS_JSON_DEPTH_MAX];
	bool  after_key;
};

void gs_json_init(struct gs_json *j, FILE *f);
void gs_json_obj_open(struct gs_json *j);
void gs_json_obj_close(struct gs_json *j);
void gs_json_arr_open(struct gs_json *j);
void gs_json_arr_close(struct gs_json *j);
void gs_json_key(struct gs_json *j, const char *k);
void gs_json_str(struct gs_json *j, const char *s);
void gs_json_u64(struct gs_json *j, uint64_t v);
void gs_json_bool(struct gs_json *j, bool v);
/* A number with four decimals (the process never sets a locale, so the
 * decimal point is '.'), and null. */
void gs_json_num4(struct gs_json *j, double v);
void gs_json_null(struct gs_json *j);
void gs_json_hex(struct gs_json *j, const uint8_t *b, size_t len);
/* Ends the document with a newline. */
void gs_json_end(struct gs_json *j);

#endif
