/* flatbuf.c: a tiny bounds-checked flatbuffer reader.
 *
 * The binary format, briefly: a buffer starts with a uoffset (u32) to the
 * root table.  A table starts with an soffset (i32); table - soffset is its
 * vtable: u16 vtable size, u16 table size, then one u16 per field giving the
 * field's offset from the table start (0 = absent).  Reference fields hold a
 * uoffset relative to the field itself, always pointing forward.  Vectors
 * and strings are a u32 length followed by the elements (strings by a NUL).
 * All little-endian.
 */
#include "flatbuf.h"

#include <assert.h>
#include <string.h>

static uint16_t
rd_u16 (const uint8_t *p)
{
  return (uint16_t) (p[0] | (p[1] << 8));
}

static uint32_t
rd_u32 (const uint8_t *p)
{
  return (uint32_t) p[0] | ((uint32_t) p[1] << 8) | ((uint32_t) p[2] << 16)
      | ((uint32_t) p[3] << 24);
}

static uint64_t
rd_u64 (const uint8_t *p)
{
  return (uint64_t) rd_u32 (p) | ((uint64_t) rd_u32 (p + 4) << 32);
}

/* Whether [pos, pos + n) lies inside a buffer of size bytes. */
static bool
in_bounds (size_t size, size_t pos, size_t n)
{
  return pos <= size && n <= size - pos;
}

bool
fb_has_identifier (const uint8_t *buf, size_t size, const char ident[4])
{
  return buf != NULL && size >= 8 && memcmp (buf + 4, ident, 4) == 0;
}

/* The table at pos: check its soffset, vtable and inline size. */
static fb_res
open_table (const uint8_t *buf, size_t size, size_t pos, int depth, fb_table *out)
{
  int32_t soff;
  int64_t vt;
  uint16_t vt_size, tbl_size;

  memset (out, 0, sizeof *out);
  if (depth > FB_MAX_DEPTH)
    return FB_BAD;
  if (!in_bounds (size, pos, 4))
    return FB_BAD;
  soff = (int32_t) rd_u32 (buf + pos);
  vt = (int64_t) pos - (int64_t) soff;
  if (vt < 0 || !in_bounds (size, (size_t) vt, 4))
    return FB_BAD;
  vt_size = rd_u16 (buf + vt);
  tbl_size = rd_u16 (buf + vt + 2);
  if (vt_size < 4 || (vt_size & 1) != 0 || !in_bounds (size, (size_t) vt, vt_size))
    return FB_BAD;
  /* The inline data includes the soffset itself. */
  if (tbl_size < 4 || !in_bounds (size, pos, tbl_size))
    return FB_BAD;

  out->buf = buf;
  out->size = size;
  out->pos = pos;
  out->vt = (size_t) vt;
  out->vt_size = vt_size;
  out->tbl_size = tbl_size;
  out->depth = depth;
  return FB_OK;
}

fb_res
fb_root (const uint8_t *buf, size_t size, fb_table *out)
{
  uint32_t off;

  memset (out, 0, sizeof *out);
  if (buf == NULL || size < 8)
    return FB_BAD;
  off = rd_u32 (buf);
  if (off < 4 || off >= size)
    return FB_BAD;
  return open_table (buf, size, off, 0, out);
}

/* The offset of a field from the table start, 0 if absent; -1 if its slot
 * of field_size bytes would not fit the inline table data. */
static long
field_offset (const fb_table *t, int field, size_t field_size)
{
  size_t slot;
  uint16_t off;

  if (t == NULL || t->buf == NULL || field < 0)
    return 0;
  slot = 4 + 2 * (size_t) field;
  if (slot + 2 > t->vt_size)
    return 0;                   /* beyond the vtable: absent */
  off = rd_u16 (t->buf + t->vt + slot);
  if (off == 0)
    return 0;
  if (off < 4 || (size_t) off + field_size > t->tbl_size)
    return -1;
  return off;
}

fb_res
fb_field_present (const fb_table *t, int field, size_t field_size)
{
  long off = field_offset (t, field, field_size);
  return off < 0 ? FB_BAD : off == 0 ? FB_ABSENT : FB_OK;
}

/* Points *p at a scalar field's bytes, or returns FB_ABSENT / FB_BAD. */
static fb_res
scalar (const fb_table *t, int field, size_t n, const uint8_t **p)
{
  long off = field_offset (t, field, n);
  if (off < 0)
    return FB_BAD;
  if (off == 0)
    return FB_ABSENT;
  *p = t->buf + t->pos + (size_t) off;
  return FB_OK;
}

#define DEFINE_SCALAR(name, type, n, expr)                                   \
  fb_res                                                                      \
  name (const fb_table *t, int field, type def, type *out)                    \
  {                                                                           \
    const uint8_t *p = NULL;                                                  \
    fb_res r = scalar (t, field, n, &p);                                      \
    *out = def;                                                               \
    if (r == FB_OK)                                                           \
      *out = (expr);                                                          \
    return r;                                                                 \
  }

DEFINE_SCALAR (fb_bool, bool, 1, p[0] != 0)
DEFINE_SCALAR (fb_u8, uint8_t, 1, p[0])
DEFINE_SCALAR (fb_i8, int8_t, 1, (int8_t) p[0])
DEFINE_SCALAR (fb_u16, uint16_t, 2, rd_u16 (p))
DEFINE_SCALAR (fb_i32, int32_t, 4, (int32_t) rd_u32 (p))
DEFINE_SCALAR (fb_u32, uint32_t, 4, rd_u32 (p))
DEFINE_SCALAR (fb_i64, int64_t, 8, (int64_t) rd_u64 (p))
DEFINE_SCALAR (fb_u64, uint64_t, 8, rd_u64 (p))

fb_res
fb_f32 (const fb_table *t, int field, float def, float *out)
{
  const uint8_t *p = NULL;
  fb_res r = scalar (t, field, 4, &p);
  *out = def;
  if (r == FB_OK) {
    uint32_t bits = rd_u32 (p);
    memcpy (out, &bits, sizeof bits);
  }
  return r;
}

/* Follows the uoffset stored at buffer position at; the target must lie
 * strictly after it and inside the buffer. */
static fb_res
follow (const uint8_t *buf, size_t size, size_t at, size_t *target)
{
  uint32_t off;

  if (!in_bounds (size, at, 4))
    return FB_BAD;
  off = rd_u32 (buf + at);
  if (off == 0 || (uint64_t) at + off >= size)
    return FB_BAD;
  *target = at + off;
  return FB_OK;
}

/* The target position of a reference field. */
static fb_res
reference (const fb_table *t, int field, size_t *target)
{
  long off = field_offset (t, field, 4);
  if (off < 0)
    return FB_BAD;
  if (off == 0)
    return FB_ABSENT;
  return follow (t->buf, t->size, t->pos + (size_t) off, target);
}

fb_res
fb_table_field (const fb_table *t, int field, fb_table *out)
{
  size_t target;
  fb_res r = reference (t, field, &target);

  memset (out, 0, sizeof *out);
  if (r != FB_OK)
    return r;
  return open_table (t->buf, t->size, target, t->depth + 1, out);
}

static fb_res
open_vector (const uint8_t *buf, size_t size, size_t at, size_t elem_size,
             int depth, fb_vec *out)
{
  uint32_t len;

  if (!in_bounds (size, at, 4))
    return FB_BAD;
  len = rd_u32 (buf + at);
  if (elem_size == 0 || (uint64_t) len > (uint64_t) (size - at - 4) / elem_size)
    return FB_BAD;
  out->buf = buf;
  out->size = size;
  out->pos = at + 4;
  out->len = len;
  out->elem_size = elem_size;
  out->depth = depth;
  return FB_OK;
}

fb_res
fb_vector (const fb_table *t, int field, size_t elem_size, fb_vec *out)
{
  size_t target;
  fb_res r = reference (t, field, &target);

  memset (out, 0, sizeof *out);
  out->elem_size = elem_size;
  if (r != FB_OK)
    return r;
  return open_vector (t->buf, t->size, target, elem_size, t->depth + 1, out);
}

/* A string at position at: length, bytes, then a NUL inside the buffer. */
static fb_res
open_string (const uint8_t *buf, size_t size, size_t at, const char **s,
             uint32_t *len)
{
  uint32_t n;

  if (!in_bounds (size, at, 4))
    return FB_BAD;
  n = rd_u32 (buf + at);
  if ((uint64_t) n + 1 > (uint64_t) (size - at - 4))
    return FB_BAD;
  if (buf[at + 4 + n] != 0)
    return FB_BAD;
  *s = (const char *) buf + at + 4;
  *len = n;
  return FB_OK;
}

fb_res
fb_string (const fb_table *t, int field, const char **s, uint32_t *len)
{
  size_t target;
  fb_res r = reference (t, field, &target);

  *s = NULL;
  *len = 0;
  if (r != FB_OK)
    return r;
  return open_string (t->buf, t->size, target, s, len);
}

fb_res
fb_union (const fb_table *t, int type_field, uint8_t *type, fb_table *out)
{
  fb_res r;

  memset (out, 0, sizeof *out);
  r = fb_u8 (t, type_field, 0, type);
  if (r == FB_BAD)
    return FB_BAD;
  if (*type == 0) {
    /* NONE: a value would be meaningless; ignore it as readers do. */
    return FB_ABSENT;
  }
  return fb_table_field (t, type_field + 1, out);
}

fb_res
fb_vec_table (const fb_vec *v, uint32_t i, fb_table *out)
{
  size_t target;

  memset (out, 0, sizeof *out);
  if (v->elem_size != 4 || i >= v->len)
    return FB_BAD;
  if (follow (v->buf, v->size, v->pos + 4 * (size_t) i, &target) != FB_OK)
    return FB_BAD;
  return open_table (v->buf, v->size, target, v->depth + 1, out);
}

fb_res
fb_vec_string (const fb_vec *v, uint32_t i, const char **s, uint32_t *len)
{
  size_t target;

  *s = NULL;
  *len = 0;
  if (v->elem_size != 4 || i >= v->len)
    return FB_BAD;
  if (follow (v->buf, v->size, v->pos + 4 * (size_t) i, &target) != FB_OK)
    return FB_BAD;
  return open_string (v->buf, v->size, target, s, len);
}

uint8_t
fb_vec_u8 (const fb_vec *v, uint32_t i)
{
  assert (v->elem_size == 1 && i < v->len);
  return v->buf[v->pos + i];
}

int32_t
fb_vec_i32 (const fb_vec *v, uint32_t i)
{
  assert (v->elem_size == 4 && i < v->len);
  return (int32_t) rd_u32 (v->buf + v->pos + 4 * (size_t) i);
}

int64_t
fb_vec_i64 (const fb_vec *v, uint32_t i)
{
  assert (v->elem_size == 8 && i < v->len);
  return (int64_t) rd_u64 (v->buf + v->pos + 8 * (size_t) i);
}

float
fb_vec_f32 (const fb_vec *v, uint32_t i)
{
  uint32_t bits;
  float f;

  assert (v->elem_size == 4 && i < v->len);
  bits = rd_u32 (v->buf + v->pos + 4 * (size_t) i);
  memcpy (&f, &bits, sizeof f);
  return f;
}

const uint8_t *
fb_vec_data (const fb_vec *v)
{
  return v->buf ? v->buf + v->pos : NULL;
}
