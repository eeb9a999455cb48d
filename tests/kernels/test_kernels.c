/* test_kernels.c: checkasm-style test of the kernels (dav1d's checkasm).
 *
 * Every kernel of the dispatch table, and its portable C twin by name, is
 * run on seeded random shapes and data mixed with extremes and compared
 * with a naive implementation written here straight from TFLite's rules
 * (unpacked weights, direct loops, requantisation with requant.h).  Outputs
 * sit between guard bytes, and bytes a call must not write are checked.
 *
 * Integer results must be bit-exact.  Float results must satisfy
 * |got - ref| <= 1e-5 * (|bias| + sum |x * w|) with ref computed in double
 * (a relative tolerance on the magnitude of the summed terms, since the
 * result itself may cancel to near zero).
 *
 * Usage: test-kernels [--isa avx2|avx512|amx] [--seed N] [--bench]
 * --isa tests the table of that SIMD level (default: the best the CPU
 * has), and exits 77 (meson: skipped, not passed) when the CPU lacks it.
 * Prints one line per failure (with the seed) and "N passed, N failed". */
#include "kernels.h"
#include "ops.h"
#include "requant.h"

#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define GUARD 64
#define PATTERN 0xA5

static unsigned seed;
static uint64_t rng;
static int n_passed, n_failed;

/* ---- harness -------------------------------------------------------------- */

static void
check (bool ok, const char *fmt, ...)
{
  va_list ap;
  if (ok) {
    n_passed++;
    return;
  }
  n_failed++;
  printf ("FAIL (seed %u): ", seed);
  va_start (ap, fmt);
  vprintf (fmt, ap);
  va_end (ap);
  putchar ('\n');
}

static uint32_t
rnd (void)
{
  rng ^= rng >> 12;
  rng ^= rng << 25;
  rng ^= rng >> 27;
  return (uint32_t) ((rng * 0x2545F4914F6CDD1Dull) >> 32);
}

/* Uniform in [lo, hi]. */
static int
rnd_range (int lo, int hi)
{
  return lo + (int) (rnd () % (uint32_t) (hi - lo + 1));
}

static double
rnd_unit (void)
{
  return rnd () / 4294967296.0;
}

static int
pick (const int *v, int n)
{
  return v[rnd () % (unsigned) n];
}

/* Bytes with extremes: 0 and 255 often, else uniform. */
static void
fill_u8 (uint8_t *p, size_t n)
{
  const int mode = rnd () % 4;
  for (size_t i = 0; i < n; i++) {
    const uint32_t r = rnd () % 16;
    if (mode == 0)
      p[i] = (uint8_t) rnd ();
    else if (r == 0)
      p[i] = 0;
    else if (r == 1)
      p[i] = 255;
    else
      p[i] = (uint8_t) rnd ();
  }
  if (n > 0 && rnd () % 8 == 0)
    memset (p, rnd () % 2 ? 255 : 0, n); /* all one extreme */
}

static void
fill_f32 (float *p, size_t n, float scale)
{
  for (size_t i = 0; i < n; i++) {
    const uint32_t r = rnd () % 32;
    p[i] = r == 0 ? 0.0f : (float) ((rnd_unit () * 2.0 - 1.0) * scale);
  }
}

/* Guarded allocation: GUARD pattern bytes either side, the body too. */
typedef struct {
  uint8_t *base;
  size_t bytes;
} gbuf;

static void *
galloc (gbuf *g, size_t bytes)
{
  g->bytes = bytes;
  g->base = malloc (bytes + 2 * GUARD);
  if (!g->base) {
    fprintf (stderr, "out of memory\n");
    exit (2);
  }
  memset (g->base, PATTERN, bytes + 2 * GUARD);
  return g->base + GUARD;
}

static void
greset (gbuf *g)
{
  memset (g->base, PATTERN, g->bytes + 2 * GUARD);
}

static bool
gguards_ok (const gbuf *g)
{
  for (size_t i = 0; i < GUARD; i++)
    if (g->base[i] != PATTERN || g->base[GUARD + g->bytes + i] != PATTERN)
      return false;
  return true;
}

/* Bytes in [from, to) of the body are still the pattern. */
static bool
gbody_untouched (const gbuf *g, size_t from, size_t to)
{
  for (size_t i = from; i < to; i++)
    if (g->base[GUARD + i] != PATTERN)
      return false;
  return true;
}

static void
gfree (gbuf *g)
{
  free (g->base);
  g->base = NULL;
}

static void *
xmalloc (size_t n)
{
  void *p = malloc (n ? n : 1);
  if (!p) {
    fprintf (stderr, "out of memory\n");
    exit (2);
  }
  return p;
}

/* ---- quantisation parameters mixed with extremes ---------------------------- */

static int32_t
rnd_zero_point (void)
{
  static const int zps[] = { 0, 128, 255, 1, 127 };
  return rnd () % 2 ? pick (zps, 5) : rnd_range (0, 255);
}

static int32_t
rnd_w_zero_point (void)
{
  static const int zps[] = { 0, 128, 157, 204, 255, 1 };
  return rnd () % 2 ? pick (zps, 6) : rnd_range (0, 255);
}

/* Real multipliers as a model has them: typical (1e-4 .. 1e-2), tiny
 * (3e-7: shifts ~21), near one, above one. */
static double
rnd_real_multiplier (void)
{
  switch (rnd () % 6) {
  case 0:
    return 3e-7 * (0.5 + rnd_unit ());
  case 1:
    return 0.5 + 0.4999 * rnd_unit ();
  case 2:
    return 1.0 + 2.0 * rnd_unit ();
  case 3:
    return 1e-10;
  default:
    return pow (10.0, -4.0 + 2.0 * rnd_unit ());
  }
}

/* The table under test (main ()). */
static const mn_kernel_table *ktab;

typedef struct {
  int32_t *mult, *shift;
  mn_requant rq;
} rq_params;

/* A multiplier below one half: a right shift of at least 1. */
static double
rnd_real_multiplier_below_half (void)
{
  double m;
  do
    m = rnd_real_multiplier ();
  while (!(m < 0.5));
  return m;
}

/* Half the per-channel sets have right shifts only, so that with a ReLU-like
 * clamp (a third of the cases) the SIMD twins' one-rounding requantisation
 * runs on distinct per-channel constants; otherwise one channel of 16 with
 * a multiplier above one sends nearly every set to the general form. */
static void
rq_init (rq_params *p, int n)
{
  const bool per_channel = rnd () % 2, right_only = rnd () % 2;
  const double common = rnd_real_multiplier ();
  int32_t lo, hi;

  p->mult = xmalloc (sizeof (int32_t) * n);
  p->shift = xmalloc (sizeof (int32_t) * n);
  for (int i = 0; i < n; i++) {
    const double m = !per_channel ? common
                     : right_only ? rnd_real_multiplier_below_half ()
                                  : rnd_real_multiplier ();
    mn_quantize_multiplier (m, &p->mult[i], &p->shift[i]);
  }
  p->rq.multiplier = p->mult;
  p->rq.shift = p->shift;
  p->rq.out_zero_point = rnd_zero_point ();
  switch (rnd () % 3) {
  case 0:
    lo = 0, hi = 255;
    break;
  case 1:                       /* ReLU6-like: [zp, zp + k] */
    lo = p->rq.out_zero_point;
    hi = lo + rnd_range (0, 255);
    hi = hi > 255 ? 255 : hi;
    break;
  default:
    lo = rnd_range (0, 255);
    hi = rnd_range (lo, 255);
  }
  p->rq.out_min = (uint8_t) lo;
  p->rq.out_max = (uint8_t) hi;
  /* half the sets classified once, as the model's steps are, the rest
   * scanned by the kernels on every call */
  p->rq.prepared = 0;
  if (ktab->q8_requant_prepare && rnd () % 2)
    ktab->q8_requant_prepare (&p->rq, n);
}

static void
rq_free (rq_params *p)
{
  free (p->mult);
  free (p->shift);
}

/* Biases: zero, ordinary, huge, or (a hostile model's) next to INT32_MIN
 * or INT32_MAX, where the sums wrap around int32: the kernels and the
 * reference (int64, then truncated) must wrap alike. */
static int32_t *
rnd_biases (int n)
{
  int32_t *b = xmalloc (sizeof (int32_t) * n);
  const int mode = rnd () % 5;
  for (int i = 0; i < n; i++) {
    if (mode == 0)
      b[i] = 0;
    else if (mode == 1 && rnd () % 4 == 0)
      b[i] = (rnd () % 2 ? 1 : -1) * rnd_range (50000000, 200000000); /* huge */
    else if (mode == 2)
      b[i] = rnd () % 2 ? INT32_MAX - rnd_range (0, 100000) : INT32_MIN + rnd_range (0, 100000);
    else
      b[i] = rnd_range (-(1 << 20), 1 << 20);
  }
  return b;
}

static int32_t *
rnd_w_zero_points (int n)
{
  int32_t *z = xmalloc (sizeof (int32_t) * n);
  const bool per_channel = rnd () % 2;
  const int32_t common = rnd_w_zero_point ();
  for (int i = 0; i < n; i++)
    z[i] = per_channel ? rnd_w_zero_point () : common;
  return z;
}

static uint8_t
naive_requant (int32_t acc, const mn_requant *rq, int c)
{
  int32_t v = mn_multiply_by_quantized_multiplier (acc, rq->multiplier[c], rq->shift[c]);
  v = mn_wrap_add (v, rq->out_zero_point);
  if (v < rq->out_min)
    v = rq->out_min;
  if (v > rq->out_max)
    v = rq->out_max;
  return (uint8_t) v;
}

/* ---- geometry ----------------------------------------------------------------- */

/* TensorFlow SAME (pad_total split with the smaller half first) or VALID. */
static bool
make_geom (mn_conv_geom *g, int in_h, int in_w, int in_c, int out_c, int k, int stride,
           bool same, int dm)
{
  memset (g, 0, sizeof *g);
  g->in_h = in_h, g->in_w = in_w, g->in_c = in_c, g->out_c = out_c;
  g->k_h = g->k_w = k;
  g->stride_h = g->stride_w = stride;
  g->depth_multiplier = dm;
  if (same) {
    int ph, pw;
    g->out_h = (in_h + stride - 1) / stride;
    g->out_w = (in_w + stride - 1) / stride;
    ph = (g->out_h - 1) * stride + k - in_h;
    pw = (g->out_w - 1) * stride + k - in_w;
    g->pad_top = ph > 0 ? ph / 2 : 0;
    g->pad_left = pw > 0 ? pw / 2 : 0;
  } else {
    if (in_h < k || in_w < k)
      return false;
    g->out_h = (in_h - k) / stride + 1;
    g->out_w = (in_w - k) / stride + 1;
  }
  return true;
}

static const char *
geom_str (const mn_conv_geom *g)
{
  static char buf[160];
  snprintf (buf, sizeof buf, "%dx%dx%d -> %dx%dx%d k%dx%d s%d pad %d,%d dm %d", g->in_h,
            g->in_w, g->in_c, g->out_h, g->out_w, g->out_c, g->k_h, g->k_w, g->stride_h,
            g->pad_top, g->pad_left, g->depth_multiplier);
  return buf;
}

/* ---- naive references (straight from the rules) --------------------------------- */

/* General and depthwise convolution, q8.  w: conv [out_c][k_h][k_w][in_c],
 * depthwise [k_h][k_w][out_c]. */
static void
naive_q8_conv (const mn_conv_geom *g, bool depthwise, const uint8_t *in, int32_t in_zp,
               const uint8_t *w, const int32_t *w_zp, const int32_t *bias,
               const mn_requant *rq, uint8_t *out)
{
  const int dm = g->depth_multiplier;
  for (int oy = 0; oy < g->out_h; oy++)
    for (int ox = 0; ox < g->out_w; ox++)
      for (int o = 0; o < g->out_c; o++) {
        int64_t acc = bias[o];
        for (int ky = 0; ky < g->k_h; ky++)
          for (int kx = 0; kx < g->k_w; kx++) {
            const int iy = oy * g->stride_h - g->pad_top + ky;
            const int ix = ox * g->stride_w - g->pad_left + kx;
            if (iy < 0 || iy >= g->in_h || ix < 0 || ix >= g->in_w)
              continue;         /* padding: x == in_zp */
            const uint8_t *x = in + ((size_t) iy * g->in_w + ix) * g->in_c;
            if (depthwise) {
              const int32_t wv = w[((size_t) ky * g->k_w + kx) * g->out_c + o];
              acc += (int64_t) (x[o / dm] - in_zp) * (wv - w_zp[o]);
            } else {
              for (int ic = 0; ic < g->in_c; ic++) {
                const int32_t wv = w[(((size_t) o * g->k_h + ky) * g->k_w + kx) * g->in_c + ic];
                acc += (int64_t) (x[ic] - in_zp) * (wv - w_zp[o]);
              }
            }
          }
        out[((size_t) oy * g->out_w + ox) * g->out_c + o] = naive_requant ((int32_t) acc, rq, o);
      }
}

static void
naive_q8_gemm (int m, int n, int k, const uint8_t *a, int32_t a_zp, const uint8_t *w,
               const int32_t *w_zp, const int32_t *bias, const mn_requant *rq, uint8_t *c)
{
  for (int i = 0; i < m; i++)
    for (int j = 0; j < n; j++) {
      int64_t acc = bias[j];
      for (int kk = 0; kk < k; kk++)
        acc += (int64_t) (a[(size_t) i * k + kk] - a_zp) * (w[(size_t) j * k + kk] - w_zp[j]);
      c[(size_t) i * n + j] = naive_requant ((int32_t) acc, rq, j);
    }
}

/* Float: value and magnitude (|bias| + sum |x w|) in double. */
static void
naive_f32_conv (const mn_conv_geom *g, bool depthwise, const float *in, const float *w,
                const float *bias, float lo, float hi, double *out, double *mag)
{
  const int dm = g->depth_multiplier;
  for (int oy = 0; oy < g->out_h; oy++)
    for (int ox = 0; ox < g->out_w; ox++)
      for (int o = 0; o < g->out_c; o++) {
        double acc = bias[o], m = fabs (bias[o]);
        for (int ky = 0; ky < g->k_h; ky++)
          for (int kx = 0; kx < g->k_w; kx++) {
            const int iy = oy * g->stride_h - g->pad_top + ky;
            const int ix = ox * g->stride_w - g->pad_left + kx;
            if (iy < 0 || iy >= g->in_h || ix < 0 || ix >= g->in_w)
              continue;
            const float *x = in + ((size_t) iy * g->in_w + ix) * g->in_c;
            if (depthwise) {
              const double t = (double) x[o / dm] * w[((size_t) ky * g->k_w + kx) * g->out_c + o];
              acc += t, m += fabs (t);
            } else {
              for (int ic = 0; ic < g->in_c; ic++) {
                const double t = (double) x[ic]
                    * w[(((size_t) o * g->k_h + ky) * g->k_w + kx) * g->in_c + ic];
                acc += t, m += fabs (t);
              }
            }
          }
        acc = acc < lo ? lo : acc > hi ? hi : acc;
        out[((size_t) oy * g->out_w + ox) * g->out_c + o] = acc;
        mag[((size_t) oy * g->out_w + ox) * g->out_c + o] = m;
      }
}

static bool
f32_close (float got, double ref, double mag)
{
  if (isinf (ref))
    return got == ref;
  return fabs ((double) got - ref) <= 1e-5 * mag + 1e-30;
}

/* ---- clamp choices for float kernels ------------------------------------------- */

static void
rnd_f32_clamp (float *lo, float *hi)
{
  switch (rnd () % 4) {
  case 0:
    *lo = -INFINITY, *hi = INFINITY;   /* NONE */
    break;
  case 1:
    *lo = 0.0f, *hi = INFINITY;        /* RELU */
    break;
  case 2:
    *lo = 0.0f, *hi = 6.0f;            /* RELU6 */
    break;
  default:
    *lo = -1.0f, *hi = 1.0f;           /* RELU_N1_TO_1 */
  }
}

/* ---- q8 convolutions --------------------------------------------------------------- */

/* Weights of a q8 case: any (w - w_zp in [-255, 255]), or all of them in
 * int8 (zero point 128, as TF2's int8 weights in the uint8 domain: the
 * AVX-512 depthwise twin's byte blocks), or all but one. */
typedef enum { Q8_WEIGHTS_ANY, Q8_WEIGHTS_INT8, Q8_WEIGHTS_INT8_BUT_ONE } q8_weights;

/* Run one q8 conv or dwconv case with the table kernel and the C twin, whole
 * and split into row ranges; compare with the naive reference. */
static void
test_q8_conv_case_weights (const mn_conv_geom *g, bool depthwise, q8_weights kind,
                           const char *what)
{
  const size_t in_n = (size_t) g->in_h * g->in_w * g->in_c;
  const size_t out_n = (size_t) g->out_h * g->out_w * g->out_c;
  const size_t w_n = depthwise ? (size_t) g->k_h * g->k_w * g->out_c
                               : (size_t) g->out_c * g->k_h * g->k_w * g->in_c;
  uint8_t *in = xmalloc (in_n), *w = xmalloc (w_n), *ref = xmalloc (out_n);
  int32_t *bias = rnd_biases (g->out_c), *w_zp = rnd_w_zero_points (g->out_c);
  const int32_t in_zp = rnd_zero_point ();
  const size_t packed_size = depthwise ? mn_q8_dwconv_packed_size (g) : mn_q8_conv_packed_size (g);
  void *packed = xmalloc (packed_size);
  rq_params rp;
  gbuf gout;
  uint8_t *out = galloc (&gout, out_n);
  /* the table's kernel and the C twin on packed, and for a depthwise
   * layer the table's blocks kernel on the blocks it makes, if any */
  mn_q8_conv_fn fns[3] = { depthwise ? ktab->q8_dwconv : ktab->q8_conv,
                           depthwise ? mn_q8_dwconv_c : mn_q8_conv_c, ktab->q8_dwconv_blocks };
  const char *names[3] = { ktab->isa, "c", "blocks" };
  const void *weights[3] = { packed, packed, NULL };
  void *blocks = NULL;

  fill_u8 (in, in_n);
  fill_u8 (w, w_n);
  if (kind != Q8_WEIGHTS_ANY)
    for (int o = 0; o < g->out_c; o++)
      w_zp[o] = 128;
  if (kind == Q8_WEIGHTS_INT8_BUT_ONE) {   /* one weight at 255 - 0 */
    const size_t i = (size_t) rnd () % w_n;
    const int o = depthwise ? (int) (i % (size_t) g->out_c) : (int) (i / (w_n / g->out_c));
    w_zp[o] = 0;
    for (size_t j = 0; j < w_n; j++)
      if ((depthwise ? (int) (j % (size_t) g->out_c) : (int) (j / (w_n / g->out_c))) == o)
        w[j] = (uint8_t) (w[j] / 2);   /* the channel's others stay in int8 */
    w[i] = 255;
  }
  rq_init (&rp, g->out_c);
  if (depthwise)
    mn_q8_dwconv_pack (g, w, w_zp, bias, packed);
  else
    mn_q8_conv_pack (g, w, w_zp, bias, packed);
  naive_q8_conv (g, depthwise, in, in_zp, w, w_zp, bias, &rp.rq, ref);
  int nf = 2;
  if (depthwise && ktab->q8_dwconv_make_blocks) {
    const size_t bytes = ktab->q8_dwconv_make_blocks (g, packed, in_zp, &rp.rq, NULL);
    if (bytes > 0) {
      blocks = aligned_alloc (64, (bytes + 63) / 64 * 64);
      check (blocks != NULL, "out of memory");
      check (ktab->q8_dwconv_make_blocks (g, packed, in_zp, &rp.rq, blocks) == bytes,
             "%s %s: the blocks' size changed", what, geom_str (g));
      weights[nf++] = blocks;
    }
  }

  for (int f = 0; f < nf; f++) {
    const size_t row = (size_t) g->out_w * g->out_c;
    int split;

    greset (&gout);
    fns[f] (g, in, in_zp, weights[f], out, 0, g->out_h, &rp.rq);
    size_t bad = out_n;
    for (size_t i = 0; i < out_n; i++)
      if (out[i] != ref[i]) {
        bad = i;
        break;
      }
    check (bad == out_n && gguards_ok (&gout), "%s_%s %s: %s%s (first diff at %zu: got %d want %d)",
           what, names[f], geom_str (g), bad == out_n ? "" : "mismatch",
           gguards_ok (&gout) ? "" : " guard bytes written", bad,
           bad < out_n ? out[bad] : -1, bad < out_n ? ref[bad] : -1);

    /* Rows [0, split) then [split, out_h), each call writing only its rows. */
    split = rnd_range (0, g->out_h);
    greset (&gout);
    fns[f] (g, in, in_zp, weights[f], out, split, g->out_h, &rp.rq);
    bool ok = gbody_untouched (&gout, 0, split * row);
    fns[f] (g, in, in_zp, weights[f], out, 0, split, &rp.rq);
    ok = ok && memcmp (out, ref, out_n) == 0 && gguards_ok (&gout);
    check (ok, "%s_%s %s: rows split at %d differ or write outside", what, names[f],
           geom_str (g), split);
  }

  gfree (&gout);
  rq_free (&rp);
  free (in), free (w), free (ref), free (bias), free (w_zp), free (packed), free (blocks);
}

static void
test_q8_conv_case (const mn_conv_geom *g, bool depthwise, const char *what)
{
  test_q8_conv_case_weights (g, depthwise, Q8_WEIGHTS_ANY, what);
}

static void
test_q8_dwconv (void)
{
  static const int chans[] = { 1, 3, 7, 8, 9, 15, 16, 17, 33 };
  static const struct { int h, w, c, k, s, dm; } real[] = {
    { 112, 112, 32, 3, 1, 1 },   /* V2 first dw */
    { 112, 112, 96, 3, 2, 1 },   /* 112 -> 56, 96 channels */
    { 56, 56, 144, 3, 1, 1 },
    { 28, 28, 192, 3, 2, 1 },
    { 14, 14, 576, 3, 1, 1 },
    { 7, 7, 960, 3, 1, 1 },
    { 64, 64, 8, 3, 1, 1 },      /* V1 0.25 */
    { 8, 8, 256, 3, 2, 1 },
  };
  mn_conv_geom g;

  for (int t = 0; t < 300; t++) {
    const int k = pick ((const int[]) { 1, 3, 3, 3, 5 }, 5);
    const int s = rnd_range (1, 2);
    const int dm = rnd_range (1, 2);
    const int c = pick (chans, 9);
    const bool same = rnd () % 4 != 0;
    const int h = rnd () % 8 == 0 ? 1 : rnd_range (1, 14);
    const int w = rnd () % 8 == 0 ? 1 : rnd_range (1, 14);
    if (!make_geom (&g, h, w, c, c * dm, k, s, same, dm))
      continue;
    test_q8_conv_case (&g, true, "q8_dwconv");
  }
  /* ragged: the AVX-512 twin's 32-channel blocks with a partial last one
   * (any count), in chunks of up to 8 blocks */
  static const int ragged[] = { 31, 32, 40, 63, 64, 65, 100, 255, 257, 300 };
  for (int t = 0; t < 40; t++) {
    const int c = pick (ragged, 10);
    if (make_geom (&g, rnd_range (1, 9), rnd_range (1, 9), c, c, 3, rnd_range (1, 2),
                   rnd () % 4 != 0, 1))
      test_q8_conv_case (&g, true, "q8_dwconv");
  }
  for (size_t i = 0; i < sizeof real / sizeof real[0]; i++) {
    make_geom (&g, real[i].h, real[i].w, real[i].c, real[i].c * real[i].dm, real[i].k,
               real[i].s, true, real[i].dm);
    test_q8_conv_case (&g, true, "q8_dwconv");
  }
  /* int8 weights: the AVX-512 twin's 64-channel byte blocks, in chunks of
   * up to 4; a tail of up to 32 channels in a word block, a longer one a
   * partial byte block; a chunk with one weight outside int8 in word
   * blocks, the others in byte blocks */
  static const int bytes[] = { 33, 40, 63, 64, 65, 96, 97, 100, 144, 192, 255, 256,
                               257, 288, 300, 320, 384, 576, 960 };
  for (int t = 0; t < 120; t++) {
    const int c = pick (bytes, 19), s = rnd_range (1, 2);
    const int h = rnd () % 6 == 0 ? 1 : rnd_range (1, 12);
    const int w = rnd () % 6 == 0 ? 1 : rnd_range (1, 12);
    if (make_geom (&g, h, w, c, c, 3, s, rnd () % 4 != 0, 1))
      test_q8_conv_case_weights (&g, true, t % 3 ? Q8_WEIGHTS_INT8 : Q8_WEIGHTS_INT8_BUT_ONE,
                                 "q8_dwconv");
  }
  for (size_t i = 0; i < sizeof real / sizeof real[0]; i++) {
    make_geom (&g, real[i].h, real[i].w, real[i].c, real[i].c * real[i].dm, real[i].k,
               real[i].s, true, real[i].dm);
    test_q8_conv_case_weights (&g, true, Q8_WEIGHTS_INT8, "q8_dwconv");
  }
  /* wide: the AVX2 twin's chunks of 4-16 whole 16-channel blocks go pixel
   * by pixel (3x3), the rest (chunks of 1-3 blocks or a partial one) block
   * by block; one chunk or two (272: 9 + 8 blocks), small and one-pixel
   * maps, both strides and paddings */
  static const int wide[] = { 48, 64, 72, 80, 128, 136, 144, 176, 192, 256, 272, 400 };
  for (int t = 0; t < 60; t++) {
    const int c = pick (wide, 12), s = rnd_range (1, 2);
    const int h = rnd () % 6 == 0 ? 1 : rnd_range (1, 12);
    const int w = rnd () % 6 == 0 ? 1 : rnd_range (1, 12);
    if (make_geom (&g, h, w, c, c, 3, s, rnd () % 4 != 0, 1))
      test_q8_conv_case (&g, true, "q8_dwconv");
  }
}

static void
test_q8_conv (void)
{
  static const int chans[] = { 1, 3, 7, 8, 9, 16, 17, 32, 33, 40 };
  mn_conv_geom g;

  for (int t = 0; t < 200; t++) {
    const int k = pick ((const int[]) { 1, 2, 3, 3, 5 }, 5);
    const int s = rnd_range (1, 2);
    const bool same = rnd () % 4 != 0;
    const int h = rnd () % 8 == 0 ? 1 : rnd_range (1, 12);
    const int w = rnd () % 8 == 0 ? 1 : rnd_range (1, 12);
    if (!make_geom (&g, h, w, pick (chans, 10), pick (chans, 10), k, s, same, 1))
      continue;
    test_q8_conv_case (&g, false, "q8_conv");
  }
  /* The first layers: 224 -> 112 (even: pad 0 before, 1 after), V1 sizes. */
  make_geom (&g, 224, 224, 3, 32, 3, 2, true, 1);
  test_q8_conv_case (&g, false, "q8_conv");
  make_geom (&g, 128, 128, 3, 8, 3, 2, true, 1);
  test_q8_conv_case (&g, false, "q8_conv");
  make_geom (&g, 15, 15, 3, 24, 3, 2, true, 1);  /* odd: pad 1 before, 1 after */
  test_q8_conv_case (&g, false, "q8_conv");
  /* the AVX-512 twin's limits: more channels than one chunk of weights
   * (256), a receptive field at its most (252 of 256 values) */
  make_geom (&g, 9, 7, 3, 300, 3, 1, true, 1);
  test_q8_conv_case (&g, false, "q8_conv");
  make_geom (&g, 6, 5, 28, 40, 3, 1, true, 1);
  test_q8_conv_case (&g, false, "q8_conv");
}

/* ---- q8 GEMM ------------------------------------------------------------------------ */

/* Both layouts: pairs (q8_gemm, NR 8) and quads (q8_gemm4, NR 16, run by
 * the table only where a SIMD level has a kernel for it). */
static void
test_q8_gemm_case (bool quads, int m, int n, int k, size_t extra_a, size_t extra_c)
{
  const size_t a_stride = (size_t) k + extra_a, c_stride = (size_t) n + extra_c;
  uint8_t *a = xmalloc (m * a_stride + 1), *w = xmalloc ((size_t) n * k);
  uint8_t *a_dense = xmalloc ((size_t) m * k), *ref = xmalloc ((size_t) m * n);
  int32_t *bias = rnd_biases (n), *w_zp = rnd_w_zero_points (n);
  const int32_t a_zp = rnd_zero_point ();
  const int nr = quads ? MN_Q8_GEMM4_NR : MN_Q8_GEMM_NR;
  void *packed = xmalloc (quads ? mn_q8_gemm4_packed_size (n, k) : mn_q8_gemm_packed_size (n, k));
  const size_t out_bytes = (m - 1) * c_stride + n;
  rq_params rp;
  gbuf gout;
  uint8_t *c = galloc (&gout, out_bytes);
  const mn_q8_gemm_fn fns[2] = { quads ? ktab->q8_gemm4 : ktab->q8_gemm,
                                 quads ? mn_q8_gemm4_c : mn_q8_gemm_c };
  const char *names[2] = { ktab->isa, "c" };
  const char *family = quads ? "q8_gemm4" : "q8_gemm";

  fill_u8 (a, m * a_stride + 1);
  fill_u8 (w, (size_t) n * k);
  for (int i = 0; i < m; i++)
    memcpy (a_dense + (size_t) i * k, a + i * a_stride, k);
  rq_init (&rp, n);
  if (quads)
    mn_q8_gemm4_pack (n, k, w, w_zp, bias, a_zp, packed);
  else
    mn_q8_gemm_pack (n, k, w, w_zp, bias, a_zp, packed);
  naive_q8_gemm (m, n, k, a_dense, a_zp, w, w_zp, bias, &rp.rq, ref);

  for (int f = 0; f < 2; f++) {
    if (!fns[f])
      continue;
    /* whole, then [0, nb) and [nb, n) with nb a multiple of NR */
    const int panels = (n + nr - 1) / nr;
    const int nb = rnd_range (0, panels) * nr;
    for (int pass = 0; pass < 2; pass++) {
      bool ok = true;
      greset (&gout);
      if (pass == 0) {
        fns[f] (m, n, k, 0, n, a, a_stride, packed, c, c_stride, &rp.rq);
      } else {
        fns[f] (m, n, k, nb < n ? nb : n, n, a, a_stride, packed, c, c_stride, &rp.rq);
        for (int i = 0; i < m && ok; i++)  /* the first call left [0, nb) alone */
          ok = gbody_untouched (&gout, i * c_stride, i * c_stride + (nb < n ? nb : n));
        fns[f] (m, n, k, 0, nb < n ? nb : n, a, a_stride, packed, c, c_stride, &rp.rq);
      }
      int bi = -1, bj = -1;
      for (int i = 0; i < m && bi < 0; i++) {
        for (int j = 0; j < n; j++)
          if (c[i * c_stride + j] != ref[(size_t) i * n + j]) {
            bi = i, bj = j;
            break;
          }
        if (i + 1 < m && !gbody_untouched (&gout, i * c_stride + n, (i + 1) * c_stride))
          ok = false;         /* the stride gap */
      }
      check (ok && bi < 0 && gguards_ok (&gout),
             "%s_%s m %d n %d k %d (stride %zu/%zu%s%d): %s%s%s first diff [%d][%d]",
             family, names[f], m, n, k, a_stride, c_stride, pass ? ", split at " : ", whole ", pass ? nb : n,
             bi >= 0 ? "mismatch " : "", ok ? "" : "wrote outside its columns ",
             gguards_ok (&gout) ? "" : "guard bytes written", bi, bj);
    }
  }

  gfree (&gout);
  rq_free (&rp);
  free (a), free (w), free (a_dense), free (ref), free (bias), free (w_zp), free (packed);
}

static void
test_q8_gemm_layout (bool quads)
{
  static const int ns[] = { 1, 3, 7, 8, 9, 15, 16, 17, 24, 25, 31, 32, 33, 40, 57, 64, 96 };
  static const int ks[] = { 1, 2, 3, 4, 5, 7, 8, 16, 17, 32, 33, 63, 64, 65, 96 };
  for (int t = 0; t < 300; t++)
    test_q8_gemm_case (quads, rnd_range (1, 30), pick (ns, 17), pick (ks, 15),
                       rnd () % 3 == 0 ? rnd_range (1, 5) : 0, rnd () % 3 == 0 ? rnd_range (1, 5) : 0);
  test_q8_gemm_case (quads, 13, 72, 2100, 0, 0);  /* k past one widened block, several panels */
  test_q8_gemm_case (quads, 1, 1001, 1280, 0, 0); /* V2 classifier */
  test_q8_gemm_case (quads, 1, 1001, 1024, 0, 0); /* V1 classifier */
  test_q8_gemm_case (quads, 49, 1280, 320, 0, 0); /* V2 last 1x1 */
  test_q8_gemm_case (quads, 300, 136, 67, 3, 5);  /* past a block of row sums, odd k */
  test_q8_gemm_case (quads, 7, 40, 1003, 0, 2);   /* deep, odd k */
  test_q8_gemm_case (quads, 3136, 24, 144, 0, 0); /* 56x56 projection */
  test_q8_gemm_case (quads, 12544, 16, 32, 0, 0); /* 112x112 projection */
  test_q8_gemm_case (quads, 49, 7, 11520, 0, 0);  /* k at the documented bound's scale */
  /* Where the AMX twin runs (whole 16-row tiles, k a multiple of 4): 1-6
   * row tiles and a tail, k in whole 64-byte steps, a tail or both. */
  static const int ks4[] = { 4, 8, 60, 64, 68, 124, 128, 132, 192, 196 };
  for (int t = 0; t < 60; t++)
    test_q8_gemm_case (quads, rnd_range (16, 100), pick (ns, 17), pick (ks4, 10),
                       rnd () % 3 == 0 ? rnd_range (1, 5) : 0, rnd () % 3 == 0 ? rnd_range (1, 5) : 0);
  test_q8_gemm_case (quads, 300, 136, 68, 3, 5);  /* past a block of row sums */
  test_q8_gemm_case (quads, 196, 576, 96, 0, 0);  /* V2 14x14 expansion */
  test_q8_gemm_case (quads, 49, 160, 960, 0, 0);  /* V2 7x7 projection */
}

static void
test_q8_gemm (void)
{
  test_q8_gemm_layout (false);
  test_q8_gemm_layout (true);
}

/* ---- q8 GEMV (one row, byte weights) -------------------------------------------------- */

/* Both twins against the naive sum, whole and split at a panel boundary
 * (the second call must leave the first call's channels alone), with guard
 * bytes around the row; and against the table's GEMM on the same row. */
static void
test_q8_gemv_case (int n, int k)
{
  uint8_t *a = xmalloc ((size_t) k), *w = xmalloc ((size_t) n * k), *ref = xmalloc ((size_t) n);
  uint8_t *via_gemm = xmalloc ((size_t) n);
  int32_t *bias = rnd_biases (n), *w_zp = rnd_w_zero_points (n);
  const int32_t a_zp = rnd_zero_point ();
  void *packed = xmalloc (mn_q8_gemv_packed_size (n, k));
  void *gemm_packed = xmalloc (mn_q8_gemm_packed_size (n, k));
  rq_params rp;
  gbuf gout;
  uint8_t *c = galloc (&gout, (size_t) n);
  const mn_q8_gemv_fn fns[2] = { ktab->q8_gemv, mn_q8_gemv_c };
  const char *names[2] = { ktab->isa, "c" };

  fill_u8 (a, (size_t) k);
  fill_u8 (w, (size_t) n * k);
  rq_init (&rp, n);
  mn_q8_gemv_pack (n, k, w, w_zp, bias, a_zp, packed);
  naive_q8_gemm (1, n, k, a, a_zp, w, w_zp, bias, &rp.rq, ref);
  mn_q8_gemm_pack (n, k, w, w_zp, bias, a_zp, gemm_packed);
  ktab->q8_gemm (1, n, k, 0, n, a, (size_t) k, gemm_packed, via_gemm, (size_t) n, &rp.rq);
  check (memcmp (via_gemm, ref, (size_t) n) == 0, "q8_gemm_%s m 1 n %d k %d (GEMV case)",
         ktab->isa, n, k);

  for (int f = 0; f < 2; f++) {
    const int panels = (n + MN_Q8_GEMM_NR - 1) / MN_Q8_GEMM_NR;
    const int nb = rnd_range (0, panels) * MN_Q8_GEMM_NR, mid = nb < n ? nb : n;
    for (int pass = 0; pass < 2; pass++) {
      bool ok = true;
      greset (&gout);
      if (pass == 0) {
        fns[f] (n, k, 0, n, a, packed, c, &rp.rq);
      } else {
        fns[f] (n, k, mid, n, a, packed, c, &rp.rq);
        ok = gbody_untouched (&gout, 0, (size_t) mid);
        fns[f] (n, k, 0, mid, a, packed, c, &rp.rq);
      }
      int bad = -1;
      for (int j = 0; j < n && bad < 0; j++)
        if (c[j] != ref[j])
          bad = j;
      check (ok && bad < 0 && gguards_ok (&gout),
             "q8_gemv_%s n %d k %d (%s%d): %s%s%s first diff [%d]", names[f], n, k,
             pass ? "split at " : "whole ", pass ? mid : n, bad >= 0 ? "mismatch " : "",
             ok ? "" : "wrote outside its channels ",
             gguards_ok (&gout) ? "" : "guard bytes written", bad);
    }
  }

  gfree (&gout);
  rq_free (&rp);
  free (a), free (w), free (ref), free (via_gemm), free (bias), free (w_zp), free (packed);
  free (gemm_packed);
}

static void
test_q8_gemv (void)
{
  static const int ns[] = { 1, 3, 7, 8, 9, 15, 16, 17, 24, 25, 31, 32, 33, 40, 57, 64, 96 };
  static const int ks[] = { 1, 2, 3, 7, 8, 16, 17, 32, 33, 96, 255 };
  for (int t = 0; t < 300; t++)
    test_q8_gemv_case (pick (ns, 17), pick (ks, 11));
  test_q8_gemv_case (1001, 1280);   /* V2 classifier */
  test_q8_gemv_case (1001, 1024);   /* V1 classifier */
  test_q8_gemv_case (10, 8193);     /* past the AVX2 twin's stack row: its C fallback */
  test_q8_gemv_case (7, 11520);     /* k at the documented bound's scale */
}

/* Requantisation over the whole int32 range: with W == w_zp every
 * accumulator is exactly its (packed) bias, so the table's q8_gemm must give
 * clamp (MBQM (bias, M, shift) + zp) for extreme int32 values, shifts from
 * -31 to +7 and per-channel multipliers.  16..40 channels and 1..6 rows reach
 * both the narrow and the wide-n paths, and the all-right-shift fast
 * requantisation, the one-rounding form for clamps from the zero point up
 * (every fourth set) and the general one. */
static void
test_q8_requant_extremes (void)
{
  static const int32_t special[] = { INT32_MIN, INT32_MIN + 1, INT32_MAX, INT32_MAX - 1, 0, 1, -1,
                                     1 << 30, -(1 << 30), (1 << 30) - 1, -(1 << 30) - 1, 65536,
                                     -65536, 255, -255 };
  const int nspecial = (int) (sizeof special / sizeof special[0]);

  for (int t = 0; t < 200; t++) {
    const int n = rnd_range (1, 40), k = rnd_range (1, 3), m = rnd_range (1, 6);
    const bool left = t % 2 == 1;   /* allow multipliers above one */
    const bool clamped = t % 4 == 2; /* right shifts only, clamp from the zero point up */
    uint8_t *a = xmalloc ((size_t) m * k), *w = xmalloc ((size_t) n * k);
    uint8_t *c = xmalloc ((size_t) m * n);
    int32_t *bias = xmalloc (sizeof (int32_t) * n), *w_zp = xmalloc (sizeof (int32_t) * n);
    int32_t *mult = xmalloc (sizeof (int32_t) * n), *shift = xmalloc (sizeof (int32_t) * n);
    void *packed = xmalloc (mn_q8_gemm_packed_size (n, k));
    mn_requant rq;
    int bad = -1;

    fill_u8 (a, (size_t) m * k);
    for (int j = 0; j < n; j++) {
      w_zp[j] = rnd_range (0, 255);
      memset (w + (size_t) j * k, w_zp[j], (size_t) k);
      bias[j] = rnd () % 2 ? special[rnd () % (unsigned) nspecial] : (int32_t) rnd ();
      mn_quantize_multiplier (ldexp (0.5 + 0.5 * rnd_unit (),
                                     rnd_range (-31, left ? 7 : clamped ? -1 : 0)),
                              &mult[j], &shift[j]);
    }
    rq.multiplier = mult;
    rq.shift = shift;
    rq.out_zero_point = rnd_range (0, 255);
    rq.out_min = (uint8_t) (clamped ? rnd_range (rq.out_zero_point, 255) : rnd_range (0, 128));
    rq.out_max = (uint8_t) rnd_range (rq.out_min, 255);
    rq.prepared = 0;
    if (ktab->q8_requant_prepare && t % 8 >= 4)
      ktab->q8_requant_prepare (&rq, n);
    const int32_t a_zp = rnd_zero_point ();
    mn_q8_gemm_pack (n, k, w, w_zp, bias, a_zp, packed);
    ktab->q8_gemm (m, n, k, 0, n, a, (size_t) k, packed, c, (size_t) n, &rq);
    for (int i = 0; i < m * n && bad < 0; i++) {
      const int j = i % n;
      const int32_t v = mn_multiply_by_quantized_multiplier (bias[j], mult[j], shift[j]);
      /* the zero point is added in wrapping int32 arithmetic, as by the kernels */
      const int32_t want = (int32_t) ((uint32_t) v + (uint32_t) rq.out_zero_point);
      if (c[i] != mn_clamp_u8 (want, rq.out_min, rq.out_max))
        bad = i;
    }
    check (bad < 0, "q8_gemm_%s requantisation m %d n %d k %d: [%d][%d] bias %d M %d shift %d got %d",
           ktab->isa, m, n, k, bad < 0 ? 0 : bad / n, bad < 0 ? 0 : bad % n,
           bad < 0 ? 0 : bias[bad % n], bad < 0 ? 0 : mult[bad % n], bad < 0 ? 0 : shift[bad % n],
           bad < 0 ? 0 : c[bad]);
    /* the GEMV's own requantisation dispatch, on row 0 */
    void *gv_packed = xmalloc (mn_q8_gemv_packed_size (n, k));
    uint8_t *gv = xmalloc ((size_t) n);
    mn_q8_gemv_pack (n, k, w, w_zp, bias, a_zp, gv_packed);
    ktab->q8_gemv (n, k, 0, n, a, gv_packed, gv, &rq);
    check (memcmp (gv, c, (size_t) n) == 0, "q8_gemv_%s requantisation n %d k %d", ktab->isa, n, k);
    free (gv), free (gv_packed);
    free (a), free (w), free (c), free (bias), free (w_zp), free (mult), free (shift), free (packed);
  }
}

/* ---- float kernels -------------------------------------------------------------------- */

static void
test_f32_conv_case (const mn_conv_geom *g, bool depthwise, const char *what)
{
  const size_t in_n = (size_t) g->in_h * g->in_w * g->in_c;
  const size_t out_n = (size_t) g->out_h * g->out_w * g->out_c;
  const size_t w_n = depthwise ? (size_t) g->k_h * g->k_w * g->out_c
                               : (size_t) g->out_c * g->k_h * g->k_w * g->in_c;
  float *in = xmalloc (in_n * 4), *w = xmalloc (w_n * 4), *bias = xmalloc (g->out_c * 4);
  double *ref = xmalloc (out_n * 8), *mag = xmalloc (out_n * 8);
  const size_t psize = depthwise ? mn_f32_dwconv_packed_size (g) : mn_f32_conv_packed_size (g);
  float *packed = xmalloc (psize * 4), lo, hi;
  gbuf gout, gout2;
  float *out = galloc (&gout, out_n * 4), *out2 = galloc (&gout2, out_n * 4);
  const mn_f32_conv_fn fns[2] = { depthwise ? ktab->f32_dwconv : ktab->f32_conv,
                                  depthwise ? mn_f32_dwconv_c : mn_f32_conv_c };
  const char *names[2] = { ktab->isa, "c" };

  fill_f32 (in, in_n, rnd () % 4 ? 1.0f : 100.0f);
  fill_f32 (w, w_n, 1.0f);
  fill_f32 (bias, g->out_c, 1.0f);
  rnd_f32_clamp (&lo, &hi);
  if (depthwise)
    mn_f32_dwconv_pack (g, w, bias, packed);
  else
    mn_f32_conv_pack (g, w, bias, packed);
  naive_f32_conv (g, depthwise, in, w, bias, lo, hi, ref, mag);

  for (int f = 0; f < 2; f++) {
    const size_t row = (size_t) g->out_w * g->out_c;
    const int split = rnd_range (0, g->out_h);
    size_t bad = out_n;

    greset (&gout);
    fns[f] (g, in, packed, out, 0, g->out_h, lo, hi);
    for (size_t i = 0; i < out_n; i++)
      if (!f32_close (out[i], ref[i], mag[i])) {
        bad = i;
        break;
      }
    check (bad == out_n && gguards_ok (&gout), "%s_%s %s: %s%s (first at %zu: %g vs %g)", what,
           names[f], geom_str (g), bad < out_n ? "outside tolerance" : "",
           gguards_ok (&gout) ? "" : " guard bytes written", bad,
           bad < out_n ? out[bad] : 0.0, bad < out_n ? ref[bad] : 0.0);

    /* split rows: identical bits to the whole call */
    greset (&gout2);
    fns[f] (g, in, packed, out2, split, g->out_h, lo, hi);
    bool ok = gbody_untouched (&gout2, 0, split * row * 4);
    fns[f] (g, in, packed, out2, 0, split, lo, hi);
    ok = ok && memcmp (out, out2, out_n * 4) == 0 && gguards_ok (&gout2);
    check (ok, "%s_%s %s: rows split at %d differ or write outside", what, names[f],
           geom_str (g), split);
  }

  gfree (&gout), gfree (&gout2);
  free (in), free (w), free (bias), free (ref), free (mag), free (packed);
}

static void
test_f32_convs (void)
{
  static const int chans[] = { 1, 3, 7, 8, 9, 16, 17, 32, 33, 40 };
  mn_conv_geom g;

  for (int t = 0; t < 150; t++) {
    const int k = pick ((const int[]) { 1, 3, 3, 5 }, 4);
    const int s = rnd_range (1, 2), dm = rnd_range (1, 2), c = pick (chans, 8);
    const bool same = rnd () % 4 != 0;
    if (make_geom (&g, rnd_range (1, 13), rnd_range (1, 13), c, c * dm, k, s, same, dm))
      test_f32_conv_case (&g, true, "f32_dwconv");
    if (make_geom (&g, rnd_range (1, 11), rnd_range (1, 11), pick (chans, 8), pick (chans, 8), k,
                   s, same, 1))
      test_f32_conv_case (&g, false, "f32_conv");
  }
  /* rows wide enough for the SIMD twins' widest pixel tiles (12), with
   * every channel count: whole, partial and missing vectors */
  for (int t = 0; t < 40; t++) {
    const int k = pick ((const int[]) { 1, 3, 5 }, 3), s = rnd_range (1, 2);
    if (make_geom (&g, rnd_range (1, 6), rnd_range (14, 40), pick (chans, 10), pick (chans, 10), k,
                   s, rnd () % 4 != 0, 1))
      test_f32_conv_case (&g, false, "f32_conv");
  }
  /* 3x3 depthwise over whole 16-channel groups, which the AVX-512 twin
   * takes 3 or 2 rows at a time: every height up to 10 rows, strips cut
   * short by the row's end, groups with a masked one after them, and the
   * first input row moved up or down (as the fused blocks' bands have it) */
  for (int t = 0; t < 80; t++) {
    static const int groups[] = { 16, 32, 48, 17, 33 };
    const int c = pick (groups, 5), s = rnd_range (1, 2);
    if (!make_geom (&g, rnd_range (1, 10) * s + rnd_range (0, 2), rnd_range (1, 21), c, c, 3, s,
                    rnd () % 4 != 0, 1))
      continue;
    if (rnd () % 3 == 0)
      g.pad_top = rnd_range (-2, 2);
    test_f32_conv_case (&g, true, "f32_dwconv");
  }
  /* RGB first layers (3x3, stride 2, 3 channels), which the AVX-512 twin
   * takes with constant shapes: odd and even sizes, both paddings */
  for (int t = 0; t < 20; t++) {
    if (make_geom (&g, rnd_range (1, 30), rnd_range (1, 60), 3, 16 * rnd_range (1, 3), 3, 2,
                   rnd () % 2 != 0, 1))
      test_f32_conv_case (&g, false, "f32_conv");
  }
  make_geom (&g, 112, 112, 32, 32, 3, 1, true, 1);
  test_f32_conv_case (&g, true, "f32_dwconv");
  make_geom (&g, 112, 112, 96, 96, 3, 2, true, 1);
  test_f32_conv_case (&g, true, "f32_dwconv");
  make_geom (&g, 7, 7, 960, 960, 3, 1, true, 1);
  test_f32_conv_case (&g, true, "f32_dwconv");
  make_geom (&g, 224, 224, 3, 32, 3, 2, true, 1);
  test_f32_conv_case (&g, false, "f32_conv");
}

/* A float GEMM under test: on the plain layout (fn) or the sliced one. */
typedef struct {
  const char *name;
  mn_f32_gemm_fn fn;
  mn_f32_gemm_sliced_fn sliced_fn;
} f32_gemm_kernel;

static void
call_f32_gemm (const f32_gemm_kernel *kn, const void *packed, int m, int n, int k, int n_begin,
               int n_end, const float *a, size_t a_stride, float *c, size_t c_stride,
               const float *res, float lo, float hi)
{
  if (kn->fn)
    kn->fn (m, n, k, n_begin, n_end, a, a_stride, packed, c, c_stride, res, lo, hi);
  else
    kn->sliced_fn (m, n, k, n_begin, n_end, a, a_stride, packed, c, c_stride, res, lo, hi);
}

/* The sliced GEMM's error bound for one output (kernels.h): each slice
 * within 2^-15 of its scaled value (127 at the largest magnitude) and the
 * scaling's own rounding, so each a and w within about 2^-21.9 of their
 * row's and channel's largest magnitudes; 2^-20 of each is a margin of
 * about 3.7.  Plus the float steps' roundings: 2^-21 of the magnitude
 * (the products' and bias's absolute sum). */
static double
sliced_bound (double a_largest, double a_abs_sum, double w_largest, double w_abs_sum, double mag)
{
  return 0x1p-20 * (a_largest * w_abs_sum + w_largest * a_abs_sum) + 0x1p-21 * mag + 1e-30;
}

/* Zeros in about share of a's values, in the patterns of a ReLU's
 * outputs: scattered, whole rows, whole columns (channels dead on every
 * pixel); share 1 makes all of them zero. */
static void
sprinkle_zeros (float *a, int m, int k, size_t a_stride, double share)
{
  const bool dead_columns = rnd () % 2 == 0, dead_row = rnd () % 3 == 0;
  for (int kk = 0; kk < k; kk++) {
    const bool dead = dead_columns && rnd_unit () < share / 2;
    for (int i = 0; i < m; i++)
      if (dead || rnd_unit () < share)
        a[i * a_stride + kk] = 0.0f;
  }
  if (dead_row)
    memset (a + (size_t) rnd_range (0, m - 1) * a_stride, 0, (size_t) k * 4);
}

/* with_res: a residual (C's shape and stride) added after the clamp.
 * sliced: the int8-sliced layout, its C twin and the table's kernel for
 * it, where it has one: each within sliced_bound () of the exact sum, and
 * the table's kernel the C twin's bits.  Otherwise the plain layout: the
 * table's kernel, its sparse one where it has one (which must give the
 * other's bits) and the C twin, on an A with about zeros of its values
 * zero (sprinkle_zeros ()). */
static void
test_f32_gemm_case (int m, int n, int k, size_t extra_a, size_t extra_c, bool with_res, bool sliced,
                    double zeros)
{
  const size_t a_stride = (size_t) k + extra_a, c_stride = (size_t) n + extra_c;
  float *a = xmalloc (m * a_stride * 4), *w = xmalloc ((size_t) n * k * 4);
  float *res = NULL;
  float *bias = xmalloc (n * 4), *packed = xmalloc (mn_f32_gemm_packed_size (n, k) * 4), lo, hi;
  void *sliced_packed = sliced ? xmalloc (mn_f32_gemm_sliced_packed_size (n, k)) : NULL;
  double *ref = xmalloc ((size_t) m * n * 8), *mag = xmalloc ((size_t) m * n * 8);
  double *bound = xmalloc ((size_t) m * n * 8);
  gbuf gout;
  const size_t out_n = (m - 1) * c_stride + n;
  float *c = galloc (&gout, out_n * 4), *twin = xmalloc (out_n * 4);
  f32_gemm_kernel kernels[3];
  char sparse_name[32];
  int num = 0;
  if (!sliced) {
    /* the table's kernel first: the sparse one must give its bits */
    kernels[num++] = (f32_gemm_kernel) { ktab->isa, ktab->f32_gemm, NULL };
    snprintf (sparse_name, sizeof sparse_name, "%s_sparse", ktab->isa);
    if (ktab->f32_gemm_sparse)
      kernels[num++] = (f32_gemm_kernel) { sparse_name, ktab->f32_gemm_sparse, NULL };
    kernels[num++] = (f32_gemm_kernel) { "c", mn_f32_gemm_c, NULL };
  } else {
    /* the C twin first: the table's kernel must give its bits */
    kernels[num++] = (f32_gemm_kernel) { "c", NULL, mn_f32_gemm_sliced_c };
    if (ktab->f32_gemm_sliced)
      kernels[num++] = (f32_gemm_kernel) { ktab->isa, NULL, ktab->f32_gemm_sliced };
  }

  fill_f32 (a, m * a_stride, 1.0f);
  if (zeros > 0)
    sprinkle_zeros (a, m, k, a_stride, zeros);
  fill_f32 (w, (size_t) n * k, 1.0f);
  fill_f32 (bias, n, 1.0f);
  rnd_f32_clamp (&lo, &hi);
  if (with_res) {
    res = xmalloc (out_n * 4);
    fill_f32 (res, out_n, 4.0f);
  }
  mn_f32_gemm_pack (n, k, w, bias, packed);
  if (!sliced)
    check (mn_f32_gemm_sparse_suits (n, k, packed),
           "f32_gemm_sparse_suits m %d n %d k %d refused finite weights and biases", m, n, k);
  if (sliced)
    check (mn_f32_gemm_sliced_pack (n, k, w, bias, sliced_packed),
           "f32_gemm_sliced_pack m %d n %d k %d refused finite weights", m, n, k);
  for (int i = 0; i < m; i++)
    for (int j = 0; j < n; j++) {
      double acc = bias[j], mg = fabs (bias[j]);
      double a_largest = 0, a_abs = 0, w_largest = 0, w_abs = 0;
      for (int kk = 0; kk < k; kk++) {
        const double av = a[i * a_stride + kk], wv = w[(size_t) j * k + kk];
        const double t = av * wv;
        acc += t, mg += fabs (t);
        a_largest = fmax (a_largest, fabs (av)), a_abs += fabs (av);
        w_largest = fmax (w_largest, fabs (wv)), w_abs += fabs (wv);
      }
      acc = acc < lo ? lo : acc > hi ? hi : acc;
      if (res) {
        acc += res[i * c_stride + j];
        mg += fabs (res[i * c_stride + j]);
      }
      ref[(size_t) i * n + j] = acc;
      mag[(size_t) i * n + j] = mg;
      bound[(size_t) i * n + j] = sliced_bound (a_largest, a_abs, w_largest, w_abs, mg);
    }

  for (int f = 0; f < num; f++) {
    const f32_gemm_kernel *kn = &kernels[f];
    const void *pk = sliced ? sliced_packed : packed;
    const int panels = (n + MN_F32_GEMM_NR - 1) / MN_F32_GEMM_NR;
    const int nb0 = rnd_range (0, panels) * MN_F32_GEMM_NR, nb = nb0 < n ? nb0 : n;
    for (int pass = 0; pass < 2; pass++) {
      bool ok = true, same = true;
      int bi = -1, bj = -1;
      greset (&gout);
      if (pass == 0) {
        call_f32_gemm (kn, pk, m, n, k, 0, n, a, a_stride, c, c_stride, res, lo, hi);
      } else {
        call_f32_gemm (kn, pk, m, n, k, nb, n, a, a_stride, c, c_stride, res, lo, hi);
        for (int i = 0; i < m && ok; i++)
          ok = gbody_untouched (&gout, i * c_stride * 4, (i * c_stride + nb) * 4);
        call_f32_gemm (kn, pk, m, n, k, 0, nb, a, a_stride, c, c_stride, res, lo, hi);
      }
      for (int i = 0; i < m && bi < 0; i++) {
        for (int j = 0; j < n; j++) {
          const size_t at = (size_t) i * n + j;
          const float got = c[i * c_stride + j];
          if (sliced ? !(fabs (got - ref[at]) <= bound[at]) : !f32_close (got, ref[at], mag[at])) {
            bi = i, bj = j;
            break;
          }
        }
        if (i + 1 < m && !gbody_untouched (&gout, (i * c_stride + n) * 4, (i + 1) * c_stride * 4))
          ok = false;
      }
      /* the first kernel's output is the one the next (not the C twin
       * of the plain layout) must give bit for bit */
      if (f == 0)
        for (int i = 0; i < m; i++)
          memcpy (twin + i * c_stride, c + i * c_stride, (size_t) n * 4);
      else if (sliced || kn->fn == ktab->f32_gemm_sparse)
        for (int i = 0; i < m; i++)
          same &= memcmp (c + i * c_stride, twin + i * c_stride, (size_t) n * 4) == 0;
      check (ok && same && bi < 0 && gguards_ok (&gout),
             "f32_gemm%s_%s m %d n %d k %d%s pass %d split %d: %s%s%s%s [%d][%d]",
             sliced ? "_sliced" : "", kn->name, m, n, k, res ? " residual" : "", pass, nb,
             bi >= 0 ? "outside tolerance " : "", ok ? "" : "wrote outside ",
             same ? "" : sliced ? "not the C twin's bits " : "not the dense kernel's bits ",
             gguards_ok (&gout) ? "" : "guard bytes written", bi, bj);
    }
  }

  gfree (&gout);
  free (a), free (w), free (bias), free (packed), free (ref), free (mag), free (res);
  free (sliced_packed), free (twin), free (bound);
}

static void
test_f32_gemm (void)
{
  /* last panels of 1-8 live channels too (AVX-512: pairs of rows share
   * their accumulators) */
  static const int ns[] = { 1, 3, 7, 8, 15, 16, 17, 24, 31, 33, 40, 56 };
  static const int ks[] = { 1, 2, 3, 7, 16, 17, 33 };
  for (int t = 0; t < 300; t++)
    test_f32_gemm_case (rnd_range (1, 30), pick (ns, 12), pick (ks, 7),
                        rnd () % 3 == 0 ? rnd_range (1, 5) : 0, rnd () % 3 == 0 ? rnd_range (1, 5) : 0,
                        rnd () % 2 == 0, false, rnd () % 2 ? 0.0 : rnd_unit ());
  /* one row across several whole panels (the fully connected path) */
  for (int t = 0; t < 20; t++)
    test_f32_gemm_case (1, pick ((const int[]) { 64, 65, 72, 79, 80, 128, 136, 150 }, 8),
                        pick (ks, 7), rnd () % 3 == 0 ? rnd_range (1, 5) : 0, 0, rnd () % 2 == 0,
                        false, 0.5);
  test_f32_gemm_case (1, 1001, 1280, 0, 0, false, false, 0.0);
  test_f32_gemm_case (49, 1280, 320, 0, 0, false, false, 0.0);
  test_f32_gemm_case (3136, 24, 144, 0, 0, false, false, 0.0);
  test_f32_gemm_case (3136, 24, 144, 0, 0, true, false, 0.0);   /* V2's first residual block */
  test_f32_gemm_case (112, 24, 96, 0, 0, false, false, 0.0);    /* a 112 -> 56 band */
  test_f32_gemm_case (25, 8, 40, 3, 2, true, false, 0.0);       /* one half panel, odd rows */
}

/* The sparse GEMM: rows around its tiles (4 rows on AVX-512, 6 on AVX2)
 * and row blocks (48 rows at k 960 on AVX-512, 8 near its k limit of
 * 6128, past which the dense kernel runs), channels around its groups of
 * up to 6 panels and a single panel (the dense kernel's on AVX-512),
 * zeros from none to all (blocks go to the dense kernel below about 10-30
 * % zeros). */
static void
test_f32_gemm_sparse (void)
{
  static const int ms[] = { 2, 3, 4, 5, 7, 8, 9, 12, 13, 25, 42, 49, 50, 97 };
  static const int ns[] = { 1,  5,  16, 17, 24,  31,  32,  33,  48,
                            64, 80, 96, 97, 100, 112, 160, 200, 320 };
  static const int ks[] = { 1, 2, 15, 16, 17, 33, 96, 144, 192, 384, 576, 960 };
  static const double zeros[] = { 0.0, 0.2, 0.45, 0.65, 0.8, 0.95, 1.0 };
  for (int t = 0; t < 200; t++)
    test_f32_gemm_case (pick (ms, 14), pick (ns, 18), pick (ks, 12),
                        rnd () % 3 == 0 ? rnd_range (1, 5) : 0, rnd () % 3 == 0 ? rnd_range (1, 5) : 0,
                        rnd () % 2 == 0, false, zeros[rnd () % 7]);
  test_f32_gemm_case (49, 160, 960, 0, 0, true, false, 0.7);  /* V2's 7x7 projection */
  test_f32_gemm_case (70, 64, 384, 0, 0, true, false, 0.6);   /* and a 14x14 one */
  test_f32_gemm_case (448, 16, 32, 0, 0, false, false, 0.45); /* a 112x112 one's band */
  test_f32_gemm_case (100, 48, 960, 0, 0, false, false, 0.6); /* three row blocks */
  test_f32_gemm_case (20, 40, 6128, 0, 0, false, false, 0.6); /* at the k limit */
  test_f32_gemm_case (9, 40, 6129, 0, 0, false, false, 0.6);  /* past it */
}

/* Values the sparse GEMM must treat as the dense one does: NaN and
 * infinities in A are not zeros, -0 is; its results are the dense
 * kernel's bits, NaN included.  mn_f32_gemm_sparse_suits () refuses an
 * infinite or NaN weight and a -0 bias, and takes a +0 one. */
static void
test_f32_gemm_sparse_edges (void)
{
  const int m = 21, n = 40, k = 70;
  float *a = xmalloc ((size_t) m * k * 4), *w = xmalloc ((size_t) n * k * 4);
  float *bias = xmalloc (n * 4), *c = xmalloc ((size_t) m * n * 4);
  float *dense = xmalloc ((size_t) m * n * 4);
  float *packed = xmalloc (mn_f32_gemm_packed_size (n, k) * 4);
  fill_f32 (a, (size_t) m * k, 1.0f);
  sprinkle_zeros (a, m, k, k, 0.7);
  fill_f32 (w, (size_t) n * k, 1.0f);
  fill_f32 (bias, n, 1.0f);
  bias[5] = 0.0f;
  a[3 * k + 5] = NAN;
  a[9 * k + 69] = INFINITY;
  a[9 * k + 68] = -INFINITY;
  a[12 * k] = -0.0f;
  a[13 * k + 1] = 1e-40f; /* subnormal: not zero */
  mn_f32_gemm_pack (n, k, w, bias, packed);
  check (mn_f32_gemm_sparse_suits (n, k, packed), "f32_gemm_sparse_suits refused a +0 bias");
  if (ktab->f32_gemm_sparse) {
    ktab->f32_gemm (m, n, k, 0, n, a, k, packed, dense, n, NULL, -INFINITY, INFINITY);
    ktab->f32_gemm_sparse (m, n, k, 0, n, a, k, packed, c, n, NULL, -INFINITY, INFINITY);
    check (isnan (c[3 * n]) && memcmp (c, dense, (size_t) m * n * 4) == 0,
           "f32_gemm_%s_sparse: not the dense kernel's bits with NaN, infinities, -0 and "
           "subnormals in A", ktab->isa);
  }
  bias[5] = -0.0f;
  mn_f32_gemm_pack (n, k, w, bias, packed);
  check (!mn_f32_gemm_sparse_suits (n, k, packed), "f32_gemm_sparse_suits took a -0 bias");
  bias[5] = 0.0f;
  w[7 * k + 3] = INFINITY;
  mn_f32_gemm_pack (n, k, w, bias, packed);
  check (!mn_f32_gemm_sparse_suits (n, k, packed), "f32_gemm_sparse_suits took an infinite weight");
  w[7 * k + 3] = NAN;
  mn_f32_gemm_pack (n, k, w, bias, packed);
  check (!mn_f32_gemm_sparse_suits (n, k, packed), "f32_gemm_sparse_suits took a NaN weight");
  free (a), free (w), free (bias), free (c), free (dense), free (packed);
}

/* The int8-sliced layout: rows around the 16-row tiles, 32-row blocks and
 * the groups the kernel's planes hold (64 rows at k 1024), channels around
 * the 16-channel panels, k around the 64-k steps up to the limit. */
static void
test_f32_gemm_sliced (void)
{
  static const int ms[] = { 1, 2, 15, 16, 17, 31, 32, 33, 47, 49, 64, 65, 98 };
  static const int ns[] = { 1, 5, 16, 17, 31, 32, 33, 48, 96, 100 };
  static const int ks[] = { 1, 2, 17, 63, 64, 65, 96, 127, 128, 160, 1000, 1023, 1024 };
  for (int t = 0; t < 120; t++) {
    const size_t extra_a = rnd () % 3 == 0 ? rnd_range (1, 5) : 0;
    const size_t extra_c = rnd () % 3 == 0 ? rnd_range (1, 5) : 0;
    test_f32_gemm_case (pick (ms, 13), pick (ns, 10), pick (ks, 13), extra_a, extra_c,
                        rnd () % 2 == 0, true, 0.0);
  }
  test_f32_gemm_case (196, 576, 96, 0, 0, true, true, 0.0);   /* V2's 14x14 expansion */
  test_f32_gemm_case (49, 320, 960, 0, 0, false, true, 0.0);  /* and a 7x7 projection */
  test_f32_gemm_case (49, 1280, 320, 0, 0, false, true, 0.0); /* V2's last 1x1 layer */
  /* groups of rows: 64, 64, 64 and 8 at k 1000; 192 and 8 at k 320 */
  test_f32_gemm_case (200, 70, 1000, 3, 2, true, true, 0.0);
  test_f32_gemm_case (200, 40, 320, 0, 1, false, true, 0.0);
}

/* Rows the slicing treats apart (kernels.h): one with a NaN and one with
 * an infinity give NaN in every channel, one below MN_F32_SLICE_TINY and
 * one of zeros give the bias (clamped), the others their sums as usual;
 * the table's kernel gives the C twin's bits, NaN included.  Weights with
 * an infinity or NaN are refused by the packing. */
static void
test_f32_gemm_sliced_edges (void)
{
  const int m = 40, n = 20, k = 70;
  float *a = xmalloc ((size_t) m * k * 4), *w = xmalloc ((size_t) n * k * 4);
  float *bias = xmalloc (n * 4), *c = xmalloc ((size_t) m * n * 4);
  float *twin = xmalloc ((size_t) m * n * 4);
  void *packed = xmalloc (mn_f32_gemm_sliced_packed_size (n, k));
  fill_f32 (a, (size_t) m * k, 1.0f);
  fill_f32 (w, (size_t) n * k, 1.0f);
  fill_f32 (bias, n, 1.0f);
  a[3 * k + 5] = NAN;
  a[17 * k + 69] = INFINITY;
  a[20 * k] = -INFINITY;
  for (int kk = 0; kk < k; kk++)
    a[30 * k + kk] = kk % 2 ? 1e-31f : -1e-31f, a[31 * k + kk] = 0.0f;
  check (mn_f32_gemm_sliced_pack (n, k, w, bias, packed),
         "f32_gemm_sliced_pack refused finite weights");
  mn_f32_gemm_sliced_c (m, n, k, 0, n, a, k, packed, twin, n, NULL, -INFINITY, INFINITY);
  bool rows_ok = true;
  for (int i = 0; i < m; i++)
    for (int j = 0; j < n; j++) {
      const float v = twin[i * n + j];
      if (i == 3 || i == 17 || i == 20)
        rows_ok &= isnan (v);
      else if (i == 30 || i == 31)
        rows_ok &= v == bias[j];
      else
        rows_ok &= isfinite (v);
    }
  check (rows_ok, "f32_gemm_sliced_c: NaN rows, infinite rows or rows below the tiny bound wrong");
  if (ktab->f32_gemm_sliced) {
    ktab->f32_gemm_sliced (m, n, k, 0, n, a, k, packed, c, n, NULL, -INFINITY, INFINITY);
    check (memcmp (c, twin, (size_t) m * n * 4) == 0,
           "f32_gemm_sliced_%s: not the C twin's bits on NaN, infinite or tiny rows", ktab->isa);
  }
  w[7 * k + 3] = INFINITY;
  check (!mn_f32_gemm_sliced_pack (n, k, w, bias, packed),
         "f32_gemm_sliced_pack took an infinite weight");
  w[7 * k + 3] = NAN;
  check (!mn_f32_gemm_sliced_pack (n, k, w, bias, packed),
         "f32_gemm_sliced_pack took a NaN weight");
  free (a), free (w), free (bias), free (c), free (twin), free (packed);
}

/* ---- requantisation helpers ----------------------------------------------------------- */

/* round half away from zero of x / 2^e, exactly */
static int64_t
ref_rdbp (int64_t x, int e)
{
  if (e == 0)
    return x;
  const int64_t half = (int64_t) 1 << (e - 1);
  return x >= 0 ? (x + half) >> e : -((-x + half) >> e);
}

/* MBQM from its definition: t = (x * 2^left) wrapped to int32 (as the
 * helper does), h = floor ((t * M + 2^30) / 2^31) (SRDHM's rounding: half
 * up), saturated for M == t == INT32_MIN; then rounding (half away from
 * zero) division by 2^right. */
static int32_t
ref_mbqm (int32_t x, int32_t m, int32_t shift)
{
  const int left = shift > 0 ? shift : 0, right = shift > 0 ? 0 : -shift;
  const int32_t t = (int32_t) ((uint32_t) x << left);
  if (t == INT32_MIN && m == INT32_MIN)
    return (int32_t) ref_rdbp (INT32_MAX, right);
  __int128 p = (__int128) t * m + ((__int128) 1 << 30);
  __int128 h = p >= 0 ? p >> 31 : -((-p + (((__int128) 1 << 31) - 1)) >> 31);
  return (int32_t) ref_rdbp ((int64_t) h, right);
}

static void
test_requant (void)
{
  int32_t m, s;
  static const struct { double r; int32_t m, s; } cases[] = {
    { 0.0, 0, 0 },
    { 1.0, 1 << 30, 1 },
    { 0.5, 1 << 30, 0 },
    { 0.25, 1 << 30, -1 },
    { 2.5, 1342177280, 2 },
    { 1e-10, 0, 0 },               /* shift < -31: nothing gets through */
    { 0.75, 1610612736, 0 },
  };

  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    mn_quantize_multiplier (cases[i].r, &m, &s);
    check (m == cases[i].m && s == cases[i].s, "quantize_multiplier (%g) = %d, %d; want %d, %d",
           cases[i].r, m, s, cases[i].m, cases[i].s);
  }
  /* Just below 1: q rounds to 2^31, which becomes 2^30 with shift + 1. */
  mn_quantize_multiplier (nextafter (1.0, 0.0), &m, &s);
  check (m == 1 << 30 && s == 1, "quantize_multiplier (1 - ulp) = %d, %d", m, s);
  mn_quantize_multiplier (nextafter (0.5, 0.0), &m, &s);
  check (m == 1 << 30 && s == 0, "quantize_multiplier (0.5 - ulp) = %d, %d", m, s);
  mn_quantize_multiplier (0.999999999, &m, &s);
  check (m == 2147483646 && s == 0, "quantize_multiplier (0.999999999) = %d, %d", m, s);
  /* 3e-7 = 0.629... * 2^-21 */
  mn_quantize_multiplier (3e-7, &m, &s);
  check (s == -21 && m == (int32_t) llround (3e-7 * pow (2.0, 21 + 31)),
         "quantize_multiplier (3e-7) = %d, %d", m, s);
  /* 2^-32 = 0.5 * 2^-31: the smallest kept; just below it goes to zero. */
  mn_quantize_multiplier (ldexp (1.0, -32), &m, &s);
  check (m == 1 << 30 && s == -31, "quantize_multiplier (2^-32) = %d, %d", m, s);
  mn_quantize_multiplier (ldexp (0.99, -32), &m, &s);
  check (m == 0 && s == 0, "quantize_multiplier (0.99 * 2^-32) = %d, %d", m, s);
  /* The largest: shift 31.  From 2^31 up (and just below, which rounds up
   * to it) no int32 left shift reaches: refused, 0, 0. */
  check (mn_quantize_multiplier (ldexp (0.75, 31), &m, &s) && m == 1610612736 && s == 31,
         "quantize_multiplier (0.75 * 2^31) = %d, %d", m, s);
  static const double too_large[] = { 0x1p31, 0x1.fffffffffffffp30, 1e300, INFINITY };
  for (size_t i = 0; i < sizeof too_large / sizeof too_large[0]; i++) {
    m = s = 7;
    check (!mn_quantize_multiplier (too_large[i], &m, &s) && m == 0 && s == 0,
           "quantize_multiplier (%g) refused with 0, 0 (got %d, %d)", too_large[i], m, s);
  }
  check (mn_quantize_multiplier (NAN, &m, &s) && m == 0 && s == 0
             && mn_quantize_multiplier (-1.0, &m, &s) && m == 0 && s == 0,
         "quantize_multiplier (NaN or -1) = 0, 0: nothing gets through");
  for (int i = 0; i < 2000; i++) {
    const double r = ldexp (0.5 + 0.5 * rnd_unit (), rnd_range (-30, 8));
    mn_quantize_multiplier (r, &m, &s);
    const double back = ldexp ((double) m, s - 31);
    if (!(m >= (1 << 30) && fabs (back - r) <= ldexp (r, -31))) {
      check (false, "quantize_multiplier (%.17g) = %d, %d", r, m, s);
      break;
    }
  }
  n_passed++;

  /* Rounding division by a power of two: half away from zero. */
  static const struct { int32_t x; int e; int32_t want; } rd[] = {
    { -5, 1, -3 }, { -4, 1, -2 }, { -3, 1, -2 }, { -1, 1, -1 }, { 5, 1, 3 }, { 1, 1, 1 },
    { -6, 2, -2 }, { -5, 2, -1 }, { -2, 2, -1 }, { -7, 3, -1 }, { -3, 3, 0 }, { -4, 3, -1 },
    { INT32_MIN, 31, -1 }, { -(1 << 30), 31, -1 }, { -(1 << 30) + 1, 31, 0 },
    { INT32_MAX, 31, 1 }, { INT32_MIN, 1, INT32_MIN / 2 }, { 0, 5, 0 }, { -1, 0, -1 },
  };
  for (size_t i = 0; i < sizeof rd / sizeof rd[0]; i++) {
    const int32_t got = mn_rounding_divide_by_pot (rd[i].x, rd[i].e);
    check (got == rd[i].want, "rounding_divide_by_pot (%d, %d) = %d, want %d", rd[i].x, rd[i].e,
           got, rd[i].want);
  }
  for (int i = 0; i < 200000; i++) {
    const int32_t x = (int32_t) rnd ();
    const int e = rnd_range (0, 31);
    if (mn_rounding_divide_by_pot (x, e) != ref_rdbp (x, e)) {
      check (false, "rounding_divide_by_pot (%d, %d) = %d, want %lld", x, e,
             mn_rounding_divide_by_pot (x, e), (long long) ref_rdbp (x, e));
      break;
    }
  }
  n_passed++;

  /* SRDHM saturation and rounding of negative halves. */
  check (mn_saturating_rounding_doubling_high_mul (INT32_MIN, INT32_MIN) == INT32_MAX,
         "srdhm (min, min) saturates");
  check (mn_saturating_rounding_doubling_high_mul (-(1 << 15), 1 << 15) == 0,
         "srdhm (-2^15, 2^15): -0.5 rounds up to 0");
  check (mn_saturating_rounding_doubling_high_mul ((1 << 15), 1 << 15) == 1,
         "srdhm (2^15, 2^15): 0.5 rounds up to 1");

  /* MBQM against the 128-bit definition, and against double for sane values. */
  bool ok_def = true, ok_dbl = true;
  for (int i = 0; i < 300000; i++) {
    int32_t x = (int32_t) rnd ();
    double r = rnd_real_multiplier ();
    if (rnd () % 4 == 0)
      x >>= rnd_range (0, 31);
    if (rnd () % 8 == 0)
      x = pick ((const int[]) { 0, 1, -1, INT32_MAX, INT32_MIN, 1 << 30, -(1 << 30) }, 7);
    mn_quantize_multiplier (r, &m, &s);
    if (rnd () % 16 == 0)
      m = INT32_MIN, s = 0;     /* exercise the saturating corner */
    const int32_t got = mn_multiply_by_quantized_multiplier (x, m, s);
    if (got != ref_mbqm (x, m, s) && ok_def) {
      ok_def = false;
      check (false, "mbqm (%d, %d, %d) = %d, want %d", x, m, s, got, ref_mbqm (x, m, s));
    }
    /* Without wrap-around (|x * 2^left| < 2^31) the result is x * M within 1. */
    const double exact = (double) x * ldexp ((double) m, s - 31);
    if (m != INT32_MIN && fabs ((double) x * ldexp (1.0, s > 0 ? s : 0)) < 2147483647.0
        && fabs (got - exact) > 1.0 && ok_dbl) {
      ok_dbl = false;
      check (false, "mbqm (%d, %d, %d) = %d, double says %.3f", x, m, s, got, exact);
    }
  }
  if (ok_def)
    n_passed++;
  if (ok_dbl)
    n_passed++;
}

/* ---- ops ------------------------------------------------------------------------------- */

/* TFLite 8-bit ADD, written out from add.cc / reference add.h. */
static void
test_q8_add (void)
{
  static const struct { double as; int az; double bs; int bz; double os; int oz; bool int8; } sc[] = {
    /* V2 uint8 residual adds */
    { 0.4014929533004761, 136, 0.2758343517780304, 119, 0.43216896057128906, 133, false },
    { 0.2279418408870697, 121, 0.21836242079734802, 127, 0.25968998670578003, 130, false },
    /* TF2 int8 (zero points are int8 values; stored + 128 below) */
    { 0.2455354630947113, -7, 0.36084941029548645, -3, 0.40290647745132446, -1, true },
    { 0.21102742850780487, 2, 0.20617316663265228, -14, 0.2520245909690857, 6, true },
    { 0.01, 0, 0.5, 255, 0.02, 128, false },
    { 1.0, 128, 1.0, 128, 1e-3, 0, false },
  };
  enum { N = 4096 };
  uint8_t a[N], b[N], out[N];

  for (size_t t = 0; t < sizeof sc / sizeof sc[0] + 20; t++) {
    double as, bs, os;
    int az, bz, oz, lo = 0, hi = 255;
    if (t < sizeof sc / sizeof sc[0]) {
      const int sh = sc[t].int8 ? 128 : 0;
      as = sc[t].as, bs = sc[t].bs, os = sc[t].os;
      az = sc[t].az + sh, bz = sc[t].bz + sh, oz = sc[t].oz + sh;
    } else {
      as = pow (10.0, -3 + 3 * rnd_unit ()), bs = pow (10.0, -3 + 3 * rnd_unit ());
      os = pow (10.0, -3 + 3 * rnd_unit ());
      az = rnd_zero_point (), bz = rnd_zero_point (), oz = rnd_zero_point ();
      if (rnd () % 2)
        lo = oz, hi = rnd_range (lo, 255);
    }
    mn_q8_add_params p;
    mn_q8_add_params_init (&p, as, az, bs, bz, os, oz, (uint8_t) lo, (uint8_t) hi);
    fill_u8 (a, N);
    fill_u8 (b, N);
    mn_q8_add (N, a, b, out, &p);

    /* naive: TFLite's Prepare and AddElementwise, float scales */
    const float fa = (float) as, fb = (float) bs, fo = (float) os;
    const double twice_max = 2.0 * (double) (fa > fb ? fa : fb);
    int32_t am, ash, bm, bsh, om, osh;
    mn_quantize_multiplier ((double) fa / twice_max, &am, &ash);
    mn_quantize_multiplier ((double) fb / twice_max, &bm, &bsh);
    mn_quantize_multiplier (twice_max / ((1 << 20) * (double) fo), &om, &osh);
    check (p.left_shift == 20 && p.a_multiplier == am && p.a_shift == ash && p.b_multiplier == bm
               && p.b_shift == bsh && p.out_multiplier == om && p.out_shift == osh
               && p.a_offset == -az && p.b_offset == -bz && p.out_zero_point == oz,
           "q8_add_params_init case %zu: parameters differ from TFLite's Prepare", t);
    int bad = -1, far = -1;
    for (int i = 0; i < N; i++) {
      const int32_t sa = mn_multiply_by_quantized_multiplier ((a[i] - az) * (1 << 20), am, ash);
      const int32_t sb = mn_multiply_by_quantized_multiplier ((b[i] - bz) * (1 << 20), bm, bsh);
      int32_t v = mn_multiply_by_quantized_multiplier (sa + sb, om, osh) + oz;
      v = v < lo ? lo : v > hi ? hi : v;
      if (out[i] != v && bad < 0)
        bad = i;
      /* float: within one step of round ((a + b) / out_scale) + zp */
      double f = ((a[i] - az) * (double) fa + (b[i] - bz) * (double) fb) / fo + oz;
      f = f < lo ? lo : f > hi ? hi : f;
      if (fabs (out[i] - f) > 1.0 + 1e-9 && far < 0)
        far = i;
    }
    check (bad < 0, "q8_add case %zu: element %d differs from the naive TFLite rule", t, bad);
    check (far < 0, "q8_add case %zu: element %d more than one step from float", t, far);

    /* the table's twin against the C twin: sizes around the AVX2 and
     * AVX-512 twins' 32- and 64-element steps, odd offsets, guard bytes
     * around the output */
    static const size_t sizes[] = { 1, 7, 31, 32, 33, 63, 64, 65, 100, 4096 - 1, 4096 };
    for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
      const size_t n = sizes[si], off = n < N ? rnd () % (N - n + 1) : 0;
      gbuf g;
      uint8_t *o = galloc (&g, n);
      ktab->q8_add (n, a + off, b + off, o, &p);
      int diff = -1;
      for (size_t i = 0; i < n && diff < 0; i++)
        if (o[i] != out[off + i])
          diff = (int) i;
      check (diff < 0 && gguards_ok (&g), "q8_add_%s case %zu n %zu: element %d differs from C%s",
             ktab->isa, t, n, diff, gguards_ok (&g) ? "" : " (guard bytes overwritten)");
      gfree (&g);
    }
  }
}

/* MEAN in the tensor's native domain, from optimized_ops::Mean /
 * optimized_integer_ops::Mean. */
static void
naive_mean (int hw, int ch, const int32_t *x /* native values */, int32_t in_zp,
            float in_s, int32_t out_zp, float out_s, bool int8, int32_t *y)
{
  const int32_t lo = int8 ? -128 : 0, hi = int8 ? 127 : 255;
  float temp = in_zp * in_s / out_s;
  temp = temp > 0 ? temp + 0.5f : temp - 0.5f;
  const int32_t bias = out_zp - (int32_t) temp;
  const float real = in_s / ((float) hw * out_s);
  int32_t m, s;
  mn_quantize_multiplier (real, &m, &s);
  for (int c = 0; c < ch; c++) {
    int32_t acc = 0;
    for (int i = 0; i < hw; i++)
      acc += x[i * ch + c];
    acc = mn_multiply_by_quantized_multiplier (acc, m, s) + bias;
    y[c] = acc < lo ? lo : acc > hi ? hi : acc;
  }
}

/* p's tables from its rescaling fields (as mn_q8_add_params_init () makes
 * them), then the table's q8_add against the C twin on every byte v
 * paired with 255 - v; at least 16 outputs must be unclamped. */
static void
check_add_rescale (mn_q8_add_params *p, const char *what, int t)
{
  uint8_t a[256], b[256], want[256], got[256];
  for (int v = 0; v < 256; v++) {
    p->a_table[v] = mn_multiply_by_quantized_multiplier ((p->a_offset + v) * (1 << p->left_shift),
                                                         p->a_multiplier, p->a_shift);
    p->b_table[v] = mn_multiply_by_quantized_multiplier ((p->b_offset + v) * (1 << p->left_shift),
                                                         p->b_multiplier, p->b_shift);
    a[v] = (uint8_t) v;
    b[v] = (uint8_t) (255 - v);
  }
  mn_q8_add (256, a, b, want, p);
  ktab->q8_add (256, a, b, got, p);
  int diff = -1, visible = 0;
  for (int v = 0; v < 256; v++) {
    if (got[v] != want[v] && diff < 0)
      diff = v;
    visible += want[v] > 0 && want[v] < 255;
  }
  check (diff < 0 && visible >= 16, "q8_add_%s %s case %d: byte %d differs from C (%d unclamped)",
         ktab->isa, what, t, diff, visible);
}

/* The input rescaling's rounding, which random scales almost never reach
 * at a tie: hand-built parameters whose multipliers are m_hi 2^11 + 2^10
 * (with L = 20 every odd x = v - zp puts x m + 2^10 on a multiple of 2^11:
 * a tie of the high multiply) and an output step of exactly one (out
 * multiplier 2^30, shift 1: MBQM (s, 2^30, 1) = s), so that every rescaled
 * value shows in the bytes while the sum stays in 0..255.  Then the
 * AVX2 twin's other rescaling forms, which TFLite's parameters never
 * take: left shifts 4 and 23 (outside the split form's 8..22) and a
 * left shift in the multiplier (shift +1), each scaled so that a rescaled
 * value is about x / 4 and the sums stay in range. */
static void
test_q8_add_rescale_ties (void)
{
  mn_q8_add_params p;
  mn_q8_add_params_init (&p, 1.0, 128, 1.0, 128, 1.0, 128, 0, 255);  /* fields overridden */
  p.out_multiplier = 1 << 30;
  p.out_shift = 1;
  p.out_zero_point = 128;
  for (int t = 0; t < 8; t++) {
    p.left_shift = 20;
    p.a_multiplier = (t % 2) * 2048 + 1024;
    p.b_multiplier = (t / 2 % 2) * 2048 + 1024;
    p.a_shift = -(t / 4);           /* a rounding divide after the tie, or none */
    p.b_shift = 0;
    /* offsets summing to about -255: with equal multipliers every sum is
     * then near the output zero point (v and 255 - v cancel) instead of
     * all clamped */
    p.a_offset = -rnd_range (0, 255);
    p.b_offset = -255 - p.a_offset + rnd_range (-8, 8);
    p.b_offset = p.b_offset > 0 ? 0 : p.b_offset < -255 ? -255 : p.b_offset;
    check_add_rescale (&p, "rescale ties", t);
  }
  static const struct { int left_shift; int32_t multiplier, shift; } forms[] = {
    { 4, 1 << 30, -5 }, { 23, (1 << 30) + 12345, -24 }, { 20, 256 + 77, 1 },
  };
  for (int t = 0; t < 3; t++) {
    p.left_shift = forms[t].left_shift;
    p.a_multiplier = forms[t].multiplier;
    p.b_multiplier = forms[t].multiplier - 50;
    p.a_shift = p.b_shift = forms[t].shift;
    p.a_offset = -rnd_range (0, 255);
    p.b_offset = -rnd_range (0, 255);
    check_add_rescale (&p, "other rescaling forms", t);
  }
}

static void
test_q8_mean_pool (void)
{
  enum { MAXN = 12544 * 64, MAXCH = 4100 };
  uint8_t *in = xmalloc (MAXN), out[MAXCH + 8];
  int32_t *nat = xmalloc (MAXN * 4), want[MAXCH];

  for (int t = 0; t < 60; t++) {
    int hw, ch;
    mn_q8_pool_params p;
    if (t == 0 || t == 1) {      /* the TF2 model's MEAN (int8); and as uint8 */
      hw = 49, ch = 1280;
      p.is_int8 = t == 0;
      p.in_scale = 0.0235294122248888, p.out_scale = 0.019077831879258156;
      p.in_zero_point = t == 0 ? 0 : 3, p.out_zero_point = t == 0 ? 0 : 9;
    } else if (t < 6) {          /* more channels than one pass over the rows takes */
      hw = t + 1, ch = ((const int[]) { 2047, 2048, 2049, 4100 })[t - 2];
      p.is_int8 = t % 2;
      p.in_scale = 0.02, p.out_scale = 0.03;
      p.in_zero_point = rnd_zero_point (), p.out_zero_point = rnd_zero_point ();
    } else {
      hw = pick ((const int[]) { 1, 2, 3, 4, 49, 16, 100, 12544 }, 8);
      ch = pick ((const int[]) { 1, 3, 7, 8, 17, 64 }, 6);
      p.is_int8 = rnd () % 2;
      p.in_scale = pow (10.0, -3 + 2 * rnd_unit ());
      p.out_scale = rnd () % 4 == 0 ? p.in_scale : pow (10.0, -3 + 2 * rnd_unit ());
      p.in_zero_point = rnd_zero_point (), p.out_zero_point = rnd_zero_point ();
    }
    p.out_min = 0, p.out_max = 255;
    fill_u8 (in, (size_t) hw * ch);
    const int sh = p.is_int8 ? 128 : 0;
    for (int i = 0; i < hw * ch; i++)
      nat[i] = in[i] - sh;

    /* MEAN */
    mn_q8_mean_hw (hw, ch, (size_t) ch, in, out, &p);
    naive_mean (hw, ch, nat, p.in_zero_point - sh, (float) p.in_scale, p.out_zero_point - sh,
                (float) p.out_scale, p.is_int8, want);
    int bad = -1, far = -1;
    for (int c = 0; c < ch; c++) {
      if (out[c] != want[c] + sh && bad < 0)
        bad = c;
      double sum = 0;
      for (int i = 0; i < hw; i++)
        sum += in[i * ch + c] - p.in_zero_point;
      double f = sum / hw * (float) p.in_scale / (float) p.out_scale + p.out_zero_point;
      f = f < 0 ? 0 : f > 255 ? 255 : f;
      if (fabs (out[c] - f) > 1.5 && far < 0)   /* rounding twice: bias and MBQM */
        far = c;
    }
    check (bad < 0, "q8_mean_hw %s hw %d ch %d scales %g/%g zp %d/%d: channel %d got %d want %d",
           p.is_int8 ? "int8" : "uint8", hw, ch, p.in_scale, p.out_scale, p.in_zero_point,
           p.out_zero_point, bad, bad >= 0 ? out[bad] : 0, bad >= 0 ? want[bad] + sh : 0);
    check (far < 0, "q8_mean_hw %s hw %d ch %d: channel %d far from the float mean",
           p.is_int8 ? "int8" : "uint8", hw, ch, far);
    /* a channel range of the tensor, as the executor splits it */
    int c0 = rnd_range (0, ch - 1), c1 = rnd_range (c0 + 1, ch);
    uint8_t part[MAXCH];
    mn_q8_mean_hw (hw, c1 - c0, (size_t) ch, in + c0, part, &p);
    check (memcmp (part, out + c0, (size_t) (c1 - c0)) == 0,
           "q8_mean_hw channels [%d, %d) of %d differ from the whole call", c0, c1, ch);

    /* AVERAGE_POOL (same scale): half away from zero in the native domain */
    p.out_zero_point = p.in_zero_point;
    if (rnd () % 2)
      p.out_min = (uint8_t) rnd_range (0, 100), p.out_max = (uint8_t) rnd_range (150, 255);
    mn_q8_global_avgpool (hw, ch, (size_t) ch, in, out, &p);
    bad = -1;
    for (int c = 0; c < ch; c++) {
      int32_t acc = 0;
      for (int i = 0; i < hw; i++)
        acc += nat[i * ch + c];
      acc = acc > 0 ? (acc + hw / 2) / hw : (acc - hw / 2) / hw;
      acc += sh;
      acc = acc < p.out_min ? p.out_min : acc > p.out_max ? p.out_max : acc;
      if (out[c] != acc && bad < 0)
        bad = c;
    }
    check (bad < 0, "q8_global_avgpool %s hw %d ch %d: channel %d", p.is_int8 ? "int8" : "uint8",
           hw, ch, bad);
    c0 = rnd_range (0, ch - 1), c1 = rnd_range (c0 + 1, ch);
    mn_q8_global_avgpool (hw, c1 - c0, (size_t) ch, in + c0, part, &p);
    check (memcmp (part, out + c0, (size_t) (c1 - c0)) == 0,
           "q8_global_avgpool channels [%d, %d) of %d differ from the whole call", c0, c1, ch);
  }

  /* Rounding of negative sums in int8: -6 / 4 = -1.5 -> -2; -5 / 4 -> -1;
   * -2 / 4 = -0.5 -> -1.  In uint8 storage 128 + those. */
  {
    static const int8_t v[3][4] = { { -1, -2, -3, 0 }, { -1, -1, -3, 0 }, { -1, -1, 0, 0 } };
    static const int want8[3] = { -2, -1, -1 };
    mn_q8_pool_params p = { .is_int8 = true, .in_scale = 0.1, .out_scale = 0.1,
                            .out_min = 0, .out_max = 255 };
    for (int k = 0; k < 3; k++) {
      uint8_t x[4], y;
      for (int i = 0; i < 4; i++)
        x[i] = (uint8_t) (v[k][i] + 128);
      mn_q8_global_avgpool (4, 1, 1, x, &y, &p);
      check (y == want8[k] + 128, "avgpool int8 rounding of sum %d/4: got %d want %d",
             v[k][0] + v[k][1] + v[k][2] + v[k][3], y - 128, want8[k]);
    }
    /* the same bytes as uint8: (sum + 2) / 4 */
    p.is_int8 = false;
    uint8_t x[4] = { 127, 126, 125, 128 }, y;  /* sum 506: 126.5 -> 127 */
    mn_q8_global_avgpool (4, 1, 1, x, &y, &p);
    check (y == 127, "avgpool uint8 rounding: got %d want 127", y);
  }
  free (in), free (nat);
}

/* TFLite's table softmax, written out. */
static void
naive_q8_softmax (int n, const uint8_t *x, uint8_t *y, float in_s, float beta, float out_s,
                  int32_t zp, bool int8)
{
  float table[256];
  for (int v = 0; v <= 255; v++)
    table[255 - v] = expf (-in_s * beta * (float) v);
  int mx = 0;
  for (int j = 0; j < n; j++)
    mx = x[j] > mx ? x[j] : mx;
  float sum = 0;
  for (int j = 0; j < n; j++)
    sum += table[255 - mx + x[j]];
  const float inv = 1.0f / (sum * out_s);
  for (int j = 0; j < n; j++) {
    const float pr = table[255 - mx + x[j]] * inv;
    int32_t q = int8 ? (int32_t) roundf (pr) : (int32_t) (pr + 0.5f);
    q += zp;
    y[j] = (uint8_t) (q < 0 ? 0 : q > 255 ? 255 : q);
  }
}

static void
test_softmax (void)
{
  enum { N = 1001 };
  uint8_t x[N * 2], y[N * 2], want[N];
  float fx[N * 2], fy[N * 2];

  for (int t = 0; t < 40; t++) {
    const int n = t < 4 ? N : pick ((const int[]) { 1, 2, 3, 10, 17, 100 }, 6);
    const bool int8 = t % 2;
    const double in_s = t < 2 ? 0.09889253973960876 : t < 4 ? 0.06336501985788345
                                                            : pow (10.0, -2 + 1.5 * rnd_unit ());
    const float beta = t < 8 ? 1.0f : (float) (0.5 + rnd_unit ());
    const double out_s = 1.0 / 256;
    const int32_t zp = 0;        /* uint8: 0; int8: -128 + 128 */
    fill_u8 (x, (size_t) n * 2);
    (int8 ? mn_q8_softmax_int8 : mn_q8_softmax) (2, n, x, y, in_s, beta, out_s, zp);
    int bad = -1, far = -1;
    for (int r = 0; r < 2; r++) {
      naive_q8_softmax (n, x + r * n, want, (float) in_s, beta, (float) out_s, zp, int8);
      for (int j = 0; j < n; j++)
        if (y[r * n + j] != want[j] && bad < 0)
          bad = r * n + j;
      /* dequantize -> float softmax -> quantize, within one step */
      double mx = -1e300, sum = 0;
      for (int j = 0; j < n; j++)
        mx = fmax (mx, (double) x[r * n + j]);
      for (int j = 0; j < n; j++)
        sum += exp ((x[r * n + j] - mx) * in_s * beta);
      for (int j = 0; j < n; j++) {
        double q = exp ((x[r * n + j] - mx) * in_s * beta) / sum / out_s + zp;
        q = q > 255 ? 255 : q;
        if (fabs (y[r * n + j] - q) > 1.0 && far < 0)
          far = r * n + j;
      }
    }
    check (bad < 0, "q8_softmax%s n %d in_scale %g beta %g: element %d differs from TFLite's rule",
           int8 ? "_int8" : "", n, in_s, beta, bad);
    check (far < 0, "q8_softmax%s n %d: element %d more than one step from float softmax",
           int8 ? "_int8" : "", n, far);
  }
  /* The one rounding difference between the uint8 and int8 rules. */
  {
    const float p = nextafterf (0.5f, 0.0f);
    check ((int32_t) (p + 0.5f) == 1 && (int32_t) roundf (p) == 0,
           "float rounding premise of the uint8/int8 softmax split");
  }

  /* float softmax */
  for (int t = 0; t < 20; t++) {
    const int n = pick ((const int[]) { 1, 2, 7, 1001 }, 4);
    const float beta = t % 2 ? 1.0f : (float) (0.1 + 2 * rnd_unit ());
    fill_f32 (fx, (size_t) n * 2, 10.0f);
    mn_f32_softmax (2, n, fx, fy, beta);
    bool ok = true;
    for (int r = 0; r < 2; r++) {
      double mx = -1e300, sum = 0;
      for (int j = 0; j < n; j++)
        mx = fmax (mx, fx[r * n + j]);
      for (int j = 0; j < n; j++)
        sum += exp ((fx[r * n + j] - mx) * beta);
      for (int j = 0; j < n; j++) {
        const double want_f = exp ((fx[r * n + j] - mx) * beta) / sum;
        if (fabs (fy[r * n + j] - want_f) > 1e-5 * want_f + 1e-7)
          ok = false;
      }
    }
    check (ok, "f32_softmax n %d beta %g", n, beta);
  }
}

static void
test_conversions (void)
{
  uint8_t q[256], q2[256];
  float f[256];

  for (int i = 0; i < 256; i++)
    q[i] = (uint8_t) i;
  static const double scales[] = { 1.0 / 128, 1.0 / 127.5, 0.0235294122248888, 1e-6, 3.0 };
  for (size_t s = 0; s < sizeof scales / sizeof scales[0]; s++)
    for (int zi = 0; zi < 4; zi++) {
      const int32_t zp = pick ((const int[]) { 0, 127, 128, 255 }, 4);
      mn_q8_dequantize (256, q, f, scales[s], zp);
      bool ok = true;
      for (int i = 0; i < 256; i++)
        ok = ok && f[i] == (float) ((double) (float) scales[s] * (i - zp));
      check (ok, "dequantize scale %g zp %d", scales[s], zp);
      mn_q8_quantize (256, f, q2, scales[s], zp, 0, 255);
      check (memcmp (q, q2, 256) == 0, "quantize (dequantize (q)) != q for scale %g zp %d",
             scales[s], zp);
    }

  /* round half away from zero, clamps */
  {
    const float in[] = { 1.25f, -1.25f, 0.75f, -0.75f, 0.25f, -0.25f, 1000.0f, -1000.0f, 0.0f,
                         INFINITY, -INFINITY, 1e30f };
    const int want[] = { 3, -3, 2, -2, 1, -1, 2000, -2000, 0, 1000000, -1000000, 1000000 };
    uint8_t out[12];
    mn_q8_quantize (12, in, out, 0.5, 128, 0, 255);
    for (int i = 0; i < 12; i++) {
      int w = want[i] + 128;
      w = w < 0 ? 0 : w > 255 ? 255 : w;
      check (out[i] == w, "quantize (%g, scale 0.5, zp 128) = %d, want %d", in[i], out[i], w);
    }
    mn_q8_quantize (2, in, out, 0.5, 128, 130, 131);
    check (out[0] == 131 && out[1] == 130, "quantize clamps to [out_min, out_max]");
  }

  /* requantize vs TFLite's Requantize */
  for (int t = 0; t < 50; t++) {
    const int32_t izp = rnd_zero_point (), ozp = rnd_zero_point ();
    int32_t m, s;
    const int lo = rnd () % 2 ? 0 : rnd_range (0, 100), hi = rnd () % 2 ? 255 : rnd_range (150, 255);
    mn_quantize_multiplier (t == 0 ? 1.0 : rnd_real_multiplier () * 100, &m, &s);
    mn_q8_requantize (256, q, q2, izp, m, s, ozp, (uint8_t) lo, (uint8_t) hi);
    bool ok = true;
    for (int i = 0; i < 256; i++) {
      int32_t v = mn_multiply_by_quantized_multiplier (i - izp, m, s) + ozp;
      v = v < lo ? lo : v > hi ? hi : v;
      ok = ok && q2[i] == v;
      if (t == 0 && izp == ozp && lo == 0 && hi == 255)
        ok = ok && q2[i] == i;  /* same scale and zero point: identity */
    }
    check (ok, "requantize (mult %d shift %d zp %d -> %d)", m, s, izp, ozp);

    /* longer than 256: the tabulated path, element by element as above */
    enum { NB = 1001 };
    uint8_t bin[NB], bout[NB];
    fill_u8 (bin, NB);
    mn_q8_requantize (NB, bin, bout, izp, m, s, ozp, (uint8_t) lo, (uint8_t) hi);
    int bad = -1;
    for (int i = 0; i < NB && bad < 0; i++) {
      int32_t v = mn_multiply_by_quantized_multiplier (bin[i] - izp, m, s) + ozp;
      v = v < lo ? lo : v > hi ? hi : v;
      if (bout[i] != v)
        bad = i;
    }
    check (bad < 0, "requantize %d elements (mult %d shift %d zp %d -> %d): element %d differs",
           NB, m, s, izp, ozp, bad);
  }
}

static void
test_pad (void)
{
  for (int t = 0; t < 40; t++) {
    int32_t d[4], b[4], a[4];
    const size_t es = rnd () % 2 ? 1 : 4;
    size_t in_n = 1, out_n = 1;
    for (int i = 0; i < 4; i++) {
      d[i] = i == 0 ? rnd_range (1, 2) : rnd_range (1, 6);
      b[i] = rnd () % 3 ? rnd_range (0, 2) : 0;
      a[i] = rnd () % 3 ? rnd_range (0, 2) : 0;
      in_n *= d[i];
      out_n *= (size_t) (d[i] + b[i] + a[i]);
    }
    uint8_t *in = xmalloc (in_n * es);
    gbuf g;
    uint8_t *out = galloc (&g, out_n * es);
    uint32_t fill = rnd ();
    fill_u8 (in, in_n * es);
    mn_pad_nhwc (d, b, a, es, in, out, &fill);
    bool ok = gguards_ok (&g);
    size_t idx = 0;
    for (int i0 = 0; i0 < d[0] + b[0] + a[0]; i0++)
      for (int i1 = 0; i1 < d[1] + b[1] + a[1]; i1++)
        for (int i2 = 0; i2 < d[2] + b[2] + a[2]; i2++)
          for (int i3 = 0; i3 < d[3] + b[3] + a[3]; i3++, idx++) {
            const int s0 = i0 - b[0], s1 = i1 - b[1], s2 = i2 - b[2], s3 = i3 - b[3];
            const void *want;
            if (s0 < 0 || s0 >= d[0] || s1 < 0 || s1 >= d[1] || s2 < 0 || s2 >= d[2] || s3 < 0
                || s3 >= d[3])
              want = &fill;
            else
              want = in + ((((size_t) s0 * d[1] + s1) * d[2] + s2) * d[3] + s3) * es;
            ok = ok && memcmp (out + idx * es, want, es) == 0;
          }
    check (ok, "pad %dx%dx%dx%d elem %zu before %d,%d,%d,%d after %d,%d,%d,%d", d[0], d[1], d[2],
           d[3], es, b[0], b[1], b[2], b[3], a[0], a[1], a[2], a[3]);
    gfree (&g);
    free (in);
  }
}

static void
test_f32_ops (void)
{
  enum { N = 777 };
  float a[N], b[N], out[N];
  fill_f32 (a, N, 10.0f);
  fill_f32 (b, N, 10.0f);
  mn_f32_add (N, a, b, out, 0.0f, 6.0f);
  bool ok = true;
  for (int i = 0; i < N; i++)
    ok = ok && out[i] == fminf (fmaxf (a[i] + b[i], 0.0f), 6.0f);
  check (ok, "f32_add relu6");

  /* global average over 7x7x1280 */
  float *x = xmalloc (49 * 1280 * 4), y[1280];
  fill_f32 (x, 49 * 1280, 5.0f);
  mn_f32_global_average (49, 1280, 1280, x, y, -INFINITY, INFINITY);
  ok = true;
  for (int c = 0; c < 1280; c++) {
    double s = 0, m = 0;
    for (int i = 0; i < 49; i++)
      s += x[i * 1280 + c], m += fabs (x[i * 1280 + c]);
    ok = ok && fabs (y[c] - s / 49) <= 1e-5 * m / 49 + 1e-30;
  }
  check (ok, "f32_global_average 7x7x1280");
  /* channels [300, 777) with the tensor's stride: the same floats */
  float part[477];
  mn_f32_global_average (49, 477, 1280, x + 300, part, -INFINITY, INFINITY);
  check (memcmp (part, y + 300, sizeof part) == 0,
         "f32_global_average channels [300, 777) differ from the whole call");
  free (x);
}

/* A float model's input from bytes: the C twin against the formula, the
 * table's twin against the C twin bit for bit, on sizes around the AVX-512
 * twin's 16- and 64-byte steps, odd offsets, guard bytes around the
 * output. */
static void
test_f32_from_u8 (void)
{
  enum { N = 4096 };
  uint8_t src[N];
  float ref[N];
  static const size_t sizes[] = { 0, 1, 15, 16, 17, 63, 64, 65, 127, 672, 4096 - 3, 4096 };
  for (int t = 0; t < 20; t++) {
    const float mean = t == 0 ? 127.5f : (float) rnd_range (-300, 300) * 0.5f;
    const float inv_std = t == 0 ? 1.0f / 127.5f : (float) (pow (10.0, -3 + 4 * rnd_unit ()));
    fill_u8 (src, N);
    mn_f32_from_u8 (N, src, ref, mean, inv_std);
    bool ok = true;
    for (int i = 0; i < N; i++)
      ok = ok && ref[i] == ((float) src[i] - mean) * inv_std;
    check (ok, "f32_from_u8_c case %d: not (v - mean) * inv_std", t);
    for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
      const size_t n = sizes[si], off = rnd () % (N - n + 1);
      gbuf g;
      float *o = galloc (&g, n * 4);
      ktab->f32_from_u8 (n, src + off, o, mean, inv_std);
      const bool same = n == 0 || memcmp (o, ref + off, n * 4) == 0;
      check (same && gguards_ok (&g), "f32_from_u8_%s case %d n %zu: %s", ktab->isa, t, n,
             !same ? "differs from the C twin" : "guard bytes overwritten");
      gfree (&g);
    }
  }
}

static void
test_dispatch (void)
{
  mn_kernel_table t;
  const char *old = getenv ("MOBILENET_FORCE_C");
  char *saved = old ? strdup (old) : NULL;

  setenv ("MOBILENET_FORCE_C", "1", 1);
  mn_kernels_init (&t, ~0u);
  check (strcmp (t.isa, "c") == 0 && t.q8_gemm == mn_q8_gemm_c && t.q8_gemv == mn_q8_gemv_c
             && t.f32_conv == mn_f32_conv_c,
         "MOBILENET_FORCE_C=1 keeps the C twins");
  unsetenv ("MOBILENET_FORCE_C");
  mn_kernels_init (&t, 0);
  check (strcmp (t.isa, "c") == 0 && t.q8_gemm4 == NULL && t.f32_gemm_sliced == NULL,
         "cpu_mask 0 keeps the C twins");
  mn_kernels_init (&t, MN_KERNEL_CPU_AVX2);
  check (strcmp (t.isa, "avx512") != 0 && strcmp (t.isa, "amx") != 0 && t.q8_gemm4 == NULL,
         "cpu_mask AVX2 stops below AVX-512 (isa %s)", t.isa);
  mn_kernels_init (&t, MN_KERNEL_CPU_AVX2 | MN_KERNEL_CPU_AVX512);
  check (strcmp (t.isa, "amx") != 0 && t.f32_gemm_sliced == NULL,
         "cpu_mask AVX2 | AVX-512 stops below AMX (isa %s)", t.isa);
  mn_kernels_init_c (&t);
  check (t.f32_gemm == mn_f32_gemm_c && t.f32_gemm_sliced == NULL && t.f32_dwconv == mn_f32_dwconv_c
             && t.q8_conv == mn_q8_conv_c && t.q8_dwconv == mn_q8_dwconv_c
             && t.q8_dwconv_make_blocks == NULL && t.q8_dwconv_blocks == NULL
             && t.q8_add == mn_q8_add,
         "mn_kernels_init_c fills the C twins");
  if (saved) {
    setenv ("MOBILENET_FORCE_C", saved, 1);
    free (saved);
  }
}

/* ---- --bench ------------------------------------------------------------------------------- */

static double
now (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void
bench (void)
{
  mn_conv_geom g;
  rq_params rp;
  double t0;

  make_geom (&g, 112, 112, 96, 96, 3, 2, true, 1);
  {
    uint8_t *in = xmalloc (112 * 112 * 96), *w = xmalloc (9 * 96), *out = xmalloc (56 * 56 * 96);
    int32_t *b = rnd_biases (96), *z = rnd_w_zero_points (96);
    void *pk = xmalloc (mn_q8_dwconv_packed_size (&g));
    fill_u8 (in, 112 * 112 * 96), fill_u8 (w, 9 * 96);
    rq_init (&rp, 96);
    mn_q8_dwconv_pack (&g, w, z, b, pk);
    t0 = now ();
    for (int i = 0; i < 20; i++)
      ktab->q8_dwconv (&g, in, 128, pk, out, 0, g.out_h, &rp.rq);
    printf ("bench q8_dwconv_%s 112x112x96 s2: %.3f ms\n", ktab->isa, (now () - t0) / 20 * 1e3);
    rq_free (&rp);
    free (in), free (w), free (out), free (b), free (z), free (pk);
  }
  {
    const int m = 3136, n = 144, k = 24;
    uint8_t *a = xmalloc ((size_t) m * k), *w = xmalloc ((size_t) n * k), *c = xmalloc ((size_t) m * n);
    int32_t *b = rnd_biases (n), *z = rnd_w_zero_points (n);
    void *pk = xmalloc (mn_q8_gemm_packed_size (n, k));
    fill_u8 (a, (size_t) m * k), fill_u8 (w, (size_t) n * k);
    rq_init (&rp, n);
    mn_q8_gemm_pack (n, k, w, z, b, 3, pk);
    t0 = now ();
    for (int i = 0; i < 20; i++)
      ktab->q8_gemm (m, n, k, 0, n, a, k, pk, c, n, &rp.rq);
    printf ("bench q8_gemm_%s 3136x144x24: %.3f ms\n", ktab->isa, (now () - t0) / 20 * 1e3);
    rq_free (&rp);
    free (a), free (w), free (c), free (b), free (z), free (pk);
  }
}

int
main (int argc, char **argv)
{
  bool do_bench = false;
  const char *isa = NULL;
  mn_kernel_table t;

  seed = 20240601u;             /* fixed by default: reproducible CI; --seed to vary */
  for (int i = 1; i < argc; i++) {
    if (strcmp (argv[i], "--bench") == 0)
      do_bench = true;
    else if (strcmp (argv[i], "--isa") == 0 && i + 1 < argc)
      isa = argv[++i];
    else if (strcmp (argv[i], "--seed") == 0 && i + 1 < argc)
      seed = (unsigned) strtoul (argv[++i], NULL, 0);
    else {
      fprintf (stderr, "usage: %s [--isa avx2|avx512|amx] [--seed N] [--bench]\n", argv[0]);
      return 2;
    }
  }
  rng = 0x9E3779B97F4A7C15ull ^ ((uint64_t) seed << 1 | 1);

  const unsigned mask = !isa                         ? ~0u
                        : strcmp (isa, "avx2") == 0   ? MN_KERNEL_CPU_AVX2
                        : strcmp (isa, "avx512") == 0 ? MN_KERNEL_CPU_AVX2 | MN_KERNEL_CPU_AVX512
                                                      : ~0u;
  mn_kernels_init (&t, mask);
  if (isa && strcmp (t.isa, isa) != 0) {
    printf ("kernels: not run: the table for this CPU is %s, not %s%s\n", t.isa, isa,
            getenv ("MOBILENET_FORCE_C") ? " (MOBILENET_FORCE_C is set)" : "");
    return 77;
  }
  ktab = &t;
  printf ("kernels: table isa %s, seed %u\n", t.isa, seed);

  test_dispatch ();
  test_requant ();
  test_q8_gemm ();
  test_q8_gemv ();
  test_q8_requant_extremes ();
  test_q8_dwconv ();
  test_q8_conv ();
  test_f32_gemm ();
  test_f32_gemm_sparse ();
  test_f32_gemm_sparse_edges ();
  test_f32_gemm_sliced ();
  test_f32_gemm_sliced_edges ();
  test_f32_convs ();
  test_q8_add ();
  test_q8_add_rescale_ties ();
  test_q8_mean_pool ();
  test_softmax ();
  test_conversions ();
  test_pad ();
  test_f32_ops ();
  test_f32_from_u8 ();
  if (do_bench)
    bench ();

  printf ("%d passed, %d failed\n", n_passed, n_failed);
  return n_failed ? 1 : 0;
}
