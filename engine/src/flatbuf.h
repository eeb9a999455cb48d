/* flatbuf.h: a tiny bounds-checked flatbuffer reader.
 *
 * Only what the TFLite reader needs: tables through their vtables, scalars
 * with defaults, vectors, strings, unions and nested buffers.  Every offset,
 * vtable, vector length and string is checked against the buffer before it
 * is used, so a hostile file can make a read fail but never make it touch
 * memory outside the buffer.  Values are read little-endian with memcpy, so
 * nothing depends on the alignment of the input.
 *
 * Results are three-way: FB_OK (present and sound), FB_ABSENT (the field is
 * not in the table; scalars then hold their default) and FB_BAD (the field
 * or what it points to does not fit the buffer).
 */
#ifndef MN_FLATBUF_H
#define MN_FLATBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* How many tables deep one walk may go from its root.  The readers walk
 * fixed schemas, so this only guards against a schema walker gone wrong. */
#define FB_MAX_DEPTH 32

typedef enum {
  FB_BAD = -1,
  FB_ABSENT = 0,
  FB_OK = 1,
} fb_res;

typedef struct {
  const uint8_t *buf;      /* the whole (possibly nested) flatbuffer */
  size_t size;
  size_t pos;              /* start of the table's inline data */
  size_t vt;               /* start of its vtable */
  uint16_t vt_size;        /* bytes in the vtable, including its 4-byte header */
  uint16_t tbl_size;       /* bytes of inline table data */
  int depth;
} fb_table;

typedef struct {
  const uint8_t *buf;
  size_t size;
  size_t pos;              /* first element */
  uint32_t len;            /* element count */
  size_t elem_size;
  int depth;
} fb_vec;

/* True when the buffer is at least 8 bytes and bytes 4..8 equal ident. */
bool fb_has_identifier (const uint8_t *buf, size_t size, const char ident[4]);

/* The root table of a buffer (its first 4 bytes are the root offset). */
fb_res fb_root (const uint8_t *buf, size_t size, fb_table *out);

/* Whether a field is present in the table (FB_BAD if its slot does not fit
 * the table's inline data for a field of field_size bytes). */
fb_res fb_field_present (const fb_table *t, int field, size_t field_size);

/* Scalars: *out = the stored value, or def when the field is absent. */
fb_res fb_bool (const fb_table *t, int field, bool def, bool *out);
fb_res fb_u8 (const fb_table *t, int field, uint8_t def, uint8_t *out);
fb_res fb_i8 (const fb_table *t, int field, int8_t def, int8_t *out);
fb_res fb_u16 (const fb_table *t, int field, uint16_t def, uint16_t *out);
fb_res fb_i32 (const fb_table *t, int field, int32_t def, int32_t *out);
fb_res fb_u32 (const fb_table *t, int field, uint32_t def, uint32_t *out);
fb_res fb_i64 (const fb_table *t, int field, int64_t def, int64_t *out);
fb_res fb_u64 (const fb_table *t, int field, uint64_t def, uint64_t *out);
fb_res fb_f32 (const fb_table *t, int field, float def, float *out);

/* References.  On FB_ABSENT the output is zeroed (an empty vector, a NULL
 * string of length 0). */
fb_res fb_table_field (const fb_table *t, int field, fb_table *out);
fb_res fb_vector (const fb_table *t, int field, size_t elem_size, fb_vec *out);
/* A string: *s points into the buffer, is NUL-terminated there and holds
 * *len bytes before the NUL (it may contain further NULs). */
fb_res fb_string (const fb_table *t, int field, const char **s, uint32_t *len);

/* A union: type_field holds the type byte and type_field + 1 the table.
 * *type = 0 (NONE) and FB_ABSENT when no value is present; a non-zero type
 * without a value is FB_ABSENT too (the value then takes its defaults). */
fb_res fb_union (const fb_table *t, int type_field, uint8_t *type, fb_table *out);

/* Vector elements.  The index must be < v->len (checked: FB_BAD if not). */
fb_res fb_vec_table (const fb_vec *v, uint32_t i, fb_table *out);
fb_res fb_vec_string (const fb_vec *v, uint32_t i, const char **s, uint32_t *len);
/* Scalar elements of a vector made with the matching elem_size; the index
 * is the caller's responsibility (i < v->len) and is asserted. */
uint8_t fb_vec_u8 (const fb_vec *v, uint32_t i);
int32_t fb_vec_i32 (const fb_vec *v, uint32_t i);
int64_t fb_vec_i64 (const fb_vec *v, uint32_t i);
float fb_vec_f32 (const fb_vec *v, uint32_t i);
/* The elements' bytes (v->len * v->elem_size of them). */
const uint8_t *fb_vec_data (const fb_vec *v);

#endif /* MN_FLATBUF_H */
