/* fast_convert.c: fused colour-convert + resample into the model's RGB
 * input (see fast_convert.h for the filter, the formats and the
 * approximations).
 *
 * Per output row: for each plane of the frame, the input rows the row
 * covers are summed with their vertical weights into one 16-bit row
 * (auto-vectorised), then each output sample sums its horizontal span of
 * that row; the three components of the row are then converted to RGB. */
#ifdef HAVE_CONFIG_H
# include "config.h"
#endif

#include <math.h>
#include <string.h>

#include "fast_convert.h"
#ifdef HAVE_FAST_CONVERT_AVX2
# include "fast_convert_avx2.h"
#endif

/* Weights are 8-bit fixed point: a span's weights sum to 1 << W_BITS. */
#define W_BITS 8
#define W_ONE (1 << W_BITS)
/* YUV -> RGB coefficients: 12 fractional bits. */
#define C_BITS 12

/* One axis of one plane: which input samples make each output sample. */
typedef struct
{
  gint n;                       /* output samples */
  gint ntaps;                   /* taps per output (the longest span) */
  gint *start;                  /* [n] first input sample of the span */
  gint *count;                  /* [n] samples in the span (<= ntaps) */
  guint16 *w;                   /* [n * ntaps], zero past count */
  gint lo, hi;                  /* input samples touched, [lo, hi] */
} Taps;

/* One plane of the input frame and the components read from it. */
typedef struct
{
  gint plane;
  gint pstride;                 /* bytes per pixel in the plane */
  gint nchan;
  gint comp[3];                 /* 0..2: Y/R, U/G, V/B */
  gint off[3];                  /* byte offset of each in the pixel */
  Taps tx, ty;
  guint16 *acc;                 /* one vertically filtered row (bytes) */
  gint16 *wx;                   /* AVX2: tx's weights expanded per lane
                                 * (NULL: the portable horizontal pass) */
  gint nvec;                    /* AVX2: vectors a span */
} Plane;

struct _GstMobilenetFastConvert
{
  GstVideoInfo in_info;
  GstVideoInfo out_info;
  GstVideoRectangle src, dest;
  gboolean yuv;
  gint nplanes;
  Plane planes[3];
  guint16 *chan[3];             /* [dest.w]: one output row per component,
                                 * 8 fractional bits */
  gboolean avx2;                /* the AVX2 twins of both passes */
  /* YUV -> RGB: R = cy*(Y-yoff) + crv*V, G = cy*(Y-yoff) - cgu*U - cgv*V,
   * B = cy*(Y-yoff) + cbu*U, with U, V centred on 0 */
  gint32 cy, crv, cgu, cgv, cbu, yoff;
};

static void
taps_clear (Taps * t)
{
  g_free (t->start);
  g_free (t->count);
  g_free (t->w);
  memset (t, 0, sizeof (*t));
}

/* Fills @t for @n outputs from the input span [@start, @start + @len) of
 * an axis of @size samples: box (area average) when shrinking, bilinear
 * when enlarging. */
static void
taps_init (Taps * t, gdouble start, gdouble len, gint size, gint n)
{
  gboolean shrink = len >= n;
  gdouble scale = len / n;
  gint lo_lim, hi_lim, i, k;
  gdouble *wt;

  lo_lim = CLAMP ((gint) floor (start), 0, size - 1);
  hi_lim = CLAMP ((gint) ceil (start + len) - 1, lo_lim, size - 1);

  t->n = n;
  t->ntaps = shrink ? (gint) ceil (scale) + 1 : 2;
  t->start = g_new0 (gint, n);
  t->count = g_new0 (gint, n);
  t->w = g_new0 (guint16, (gsize) n * t->ntaps);
  t->lo = G_MAXINT;
  t->hi = -1;
  wt = g_new (gdouble, t->ntaps);

  for (i = 0; i < n; i++) {
    gint first, last, count, prev = 0;
    gdouble total = 0.0, cum = 0.0;
    guint16 *w = t->w + (gsize) i * t->ntaps;

    memset (wt, 0, sizeof (gdouble) * t->ntaps);
    if (shrink) {
      /* the input area [a, b) that output i covers */
      gdouble a = start + (gdouble) i * len / n;
      gdouble b = start + (gdouble) (i + 1) * len / n;
      gint j, ja = (gint) floor (a), jb = (gint) ceil (b) - 1;

      first = CLAMP (ja, lo_lim, hi_lim);
      last = CLAMP (jb, lo_lim, hi_lim);
      /* never more than ntaps (rounding of a and b): the excess merges */
      last = MIN (last, first + t->ntaps - 1);
      for (j = ja; j <= jb; j++) {
        gdouble ov = MIN (b, j + 1.0) - MAX (a, (gdouble) j);

        if (ov > 0.0)
          wt[CLAMP (j, first, last) - first] += ov;
      }
    } else {
      /* centre-aligned: output centre i + 1/2 maps to input a + 1/2 */
      gdouble pos = start + (i + 0.5) * scale - 0.5, f;

      pos = CLAMP (pos, (gdouble) lo_lim, (gdouble) hi_lim);
      first = (gint) floor (pos);
      last = MIN (first + 1, hi_lim);
      f = pos - first;
      if (last == first) {
        wt[0] = 1.0;
      } else {
        wt[0] = 1.0 - f;
        wt[1] = f;
      }
    }
    count = last - first + 1;

    /* quantise the running sum, not each weight: the weights then sum to
     * W_ONE exactly and none is negative, however many taps (rounding
     * each, 100 taps of 2.56 became 3s and a -41) */
    for (k = 0; k < count; k++)
      total += wt[k];
    for (k = 0; k < count; k++) {
      gint next;

      cum += wt[k];
      next = k == count - 1 ? W_ONE : (gint) floor (cum / total * W_ONE + 0.5);
      w[k] = (guint16) (next - prev);
      prev = next;
    }

    t->start[i] = first;
    t->count[i] = count;
    t->lo = MIN (t->lo, first);
    t->hi = MAX (t->hi, last);
  }
  g_free (wt);
}

static gboolean
format_supported (GstVideoFormat f, gboolean * yuv)
{
  switch (f) {
    case GST_VIDEO_FORMAT_I420:
    case GST_VIDEO_FORMAT_YV12:
    case GST_VIDEO_FORMAT_NV12:
    case GST_VIDEO_FORMAT_NV21:
    case GST_VIDEO_FORMAT_Y42B:
    case GST_VIDEO_FORMAT_Y444:
      *yuv = TRUE;
      return TRUE;
    case GST_VIDEO_FORMAT_RGB:
    case GST_VIDEO_FORMAT_BGR:
    case GST_VIDEO_FORMAT_RGBx:
    case GST_VIDEO_FORMAT_BGRx:
    case GST_VIDEO_FORMAT_xRGB:
    case GST_VIDEO_FORMAT_xBGR:
    case GST_VIDEO_FORMAT_RGBA:
    case GST_VIDEO_FORMAT_BGRA:
    case GST_VIDEO_FORMAT_ARGB:
    case GST_VIDEO_FORMAT_ABGR:
      *yuv = FALSE;
      return TRUE;
    default:
      return FALSE;
  }
}

static gboolean
setup_matrix (GstMobilenetFastConvert * fc)
{
  const GstVideoColorimetry *cm = &GST_VIDEO_INFO_COLORIMETRY (&fc->in_info);
  gint offset[GST_VIDEO_MAX_COMPONENTS], scale[GST_VIDEO_MAX_COMPONENTS];
  gdouble kr, kb, kg, ys, cs;

  if (cm->range != GST_VIDEO_COLOR_RANGE_0_255 &&
      cm->range != GST_VIDEO_COLOR_RANGE_16_235)
    return FALSE;
  if (!fc->yuv)
    return cm->range == GST_VIDEO_COLOR_RANGE_0_255;
  if (!gst_video_color_matrix_get_Kr_Kb (cm->matrix, &kr, &kb))
    return FALSE;
  gst_video_color_range_offsets (cm->range, fc->in_info.finfo, offset, scale);
  kg = 1.0 - kr - kb;
  ys = 255.0 / scale[0];
  cs = 255.0 / scale[1];
  fc->yoff = offset[0] << W_BITS;
  fc->cy = (gint32) lrint (ys * (1 << C_BITS));
  fc->crv = (gint32) lrint (cs * 2.0 * (1.0 - kr) * (1 << C_BITS));
  fc->cbu = (gint32) lrint (cs * 2.0 * (1.0 - kb) * (1 << C_BITS));
  fc->cgu = (gint32) lrint (cs * 2.0 * kb * (1.0 - kb) / kg * (1 << C_BITS));
  fc->cgv = (gint32) lrint (cs * 2.0 * kr * (1.0 - kr) / kg * (1 << C_BITS));
  return TRUE;
}

/* Values the AVX2 pass may read past a span's ntaps samples: up to
 * (samples_per_vector + 2) * ps, 24 (fast_convert_avx2.h). */
#define ACC_SLACK 32

/* The AVX2 passes: built for x86-64, the CPU has it, and
 * MOBILENET_FORCE_C (the engine's switch to its portable kernels) is not
 * set. */
static gboolean
simd_wanted (void)
{
#ifdef HAVE_FAST_CONVERT_AVX2
  const gchar *force_c = g_getenv ("MOBILENET_FORCE_C");

  if (force_c != NULL && *force_c != '\0' && strcmp (force_c, "0") != 0)
    return FALSE;
  return __builtin_cpu_supports ("avx2");
#else
  return FALSE;
#endif
}

#ifdef HAVE_FAST_CONVERT_AVX2
/* The plane's horizontal weights per vector lane (see
 * fast_convert_avx2.h). */
static void
expand_weights (Plane * p)
{
  const gint ps = p->pstride, nt = p->tx.ntaps;
  const gint spv = gst_mobilenet_fc_samples_per_vector (ps);
  gint i, v, lane;

  p->nvec = (nt + spv - 1) / spv;
  p->wx = g_new0 (gint16, (gsize) p->tx.n * p->nvec * 16);
  for (i = 0; i < p->tx.n; i++) {
    gint16 *w = p->wx + (gsize) i * p->nvec * 16;

    for (v = 0; v < p->nvec; v++)
      for (lane = 0; lane < 16; lane++) {
        gint j = gst_mobilenet_fc_lane_sample (ps, lane);

        if (j >= 0 && v * spv + j < nt)
          w[v * 16 + lane] = (gint16) p->tx.w[(gsize) i * nt + v * spv + j];
      }
  }
}
#else
static void
expand_weights (Plane * p)
{
  (void) p;
}
#endif

GstMobilenetFastConvert *
gst_mobilenet_fast_convert_new (const GstVideoInfo * in_info,
    const GstVideoInfo * out_info, GstMobilenetScaleMode mode)
{
  const GstVideoFormatInfo *finfo = in_info->finfo;
  GstMobilenetFastConvert *fc;
  gboolean yuv;
  gint c, i;

  g_return_val_if_fail (in_info != NULL && out_info != NULL, NULL);

  if (!format_supported (GST_VIDEO_INFO_FORMAT (in_info), &yuv) ||
      GST_VIDEO_INFO_FORMAT (out_info) != GST_VIDEO_FORMAT_RGB ||
      GST_VIDEO_INFO_INTERLACE_MODE (in_info) !=
      GST_VIDEO_INTERLACE_MODE_PROGRESSIVE ||
      GST_VIDEO_INFO_WIDTH (in_info) <= 0 ||
      GST_VIDEO_INFO_HEIGHT (in_info) <= 0 ||
      GST_VIDEO_INFO_WIDTH (out_info) <= 0 ||
      GST_VIDEO_INFO_HEIGHT (out_info) <= 0)
    return NULL;

  fc = g_new0 (GstMobilenetFastConvert, 1);
  fc->in_info = *in_info;
  fc->out_info = *out_info;
  fc->yuv = yuv;
  if (!setup_matrix (fc)) {
    g_free (fc);
    return NULL;
  }
  gst_mobilenet_preprocess_rects (in_info, GST_VIDEO_INFO_WIDTH (out_info),
      GST_VIDEO_INFO_HEIGHT (out_info), mode, &fc->src, &fc->dest);

  /* group the components by plane (NV12's UV and packed RGB share one) */
  for (c = 0; c < 3; c++) {
    gint plane = GST_VIDEO_FORMAT_INFO_PLANE (finfo, c);
    Plane *p = NULL;

    for (i = 0; i < fc->nplanes; i++)
      if (fc->planes[i].plane == plane)
        p = &fc->planes[i];
    if (p == NULL) {
      guint wsub = GST_VIDEO_FORMAT_INFO_W_SUB (finfo, c);
      guint hsub = GST_VIDEO_FORMAT_INFO_H_SUB (finfo, c);
      gint pw = GST_VIDEO_FORMAT_INFO_SCALE_WIDTH (finfo, c,
          GST_VIDEO_INFO_WIDTH (in_info));
      gint ph = GST_VIDEO_FORMAT_INFO_SCALE_HEIGHT (finfo, c,
          GST_VIDEO_INFO_HEIGHT (in_info));

      p = &fc->planes[fc->nplanes++];
      p->plane = plane;
      p->pstride = GST_VIDEO_FORMAT_INFO_PSTRIDE (finfo, c);
      /* chroma sited at the centre of the luma samples it covers */
      taps_init (&p->tx, (gdouble) fc->src.x / (1 << wsub),
          (gdouble) fc->src.w / (1 << wsub), pw, fc->dest.w);
      taps_init (&p->ty, (gdouble) fc->src.y / (1 << hsub),
          (gdouble) fc->src.h / (1 << hsub), ph, fc->dest.h);
      /* the horizontal pass reads ntaps samples from each span start,
       * weight 0 past its count: pad, and zero so they are defined */
      p->acc = g_new0 (guint16, (gsize) (pw + p->tx.ntaps) * p->pstride
          + ACC_SLACK);
    }
    p->comp[p->nchan] = c;
    p->off[p->nchan] = GST_VIDEO_FORMAT_INFO_POFFSET (finfo, c);
    p->nchan++;
  }
  for (c = 0; c < 3; c++)
    fc->chan[c] = g_new0 (guint16, fc->dest.w);
  fc->avx2 = simd_wanted ();
  if (fc->avx2) {
    for (i = 0; i < fc->nplanes; i++)
      expand_weights (&fc->planes[i]);
  }

  return fc;
}

void
gst_mobilenet_fast_convert_free (GstMobilenetFastConvert * fc)
{
  gint i;

  if (fc == NULL)
    return;
  for (i = 0; i < fc->nplanes; i++) {
    taps_clear (&fc->planes[i].tx);
    taps_clear (&fc->planes[i].ty);
    g_free (fc->planes[i].acc);
    g_free (fc->planes[i].wx);
  }
  for (i = 0; i < 3; i++)
    g_free (fc->chan[i]);
  g_free (fc);
}

gboolean
gst_mobilenet_fast_convert_enabled (void)
{
  const gchar *e = g_getenv ("GST_MOBILENET_FAST_CONVERT");

  return !(e != NULL && (g_str_equal (e, "0") ||
          g_ascii_strcasecmp (e, "no") == 0 ||
          g_ascii_strcasecmp (e, "false") == 0));
}

#if defined(__GNUC__)
# define FC_INLINE static inline __attribute__ ((always_inline))
#else
# define FC_INLINE static inline
#endif

#include "fast_convert_vertical.h"

/* For each output i: the weighted sum of its span of acc, for all the
 * @ps bytes of each pixel at once (a constant after inlining, so the
 * lanes are one small vector), 8 fractional bits kept; then the wanted
 * components go to their output rows. */
FC_INLINE void
horizontal_pass_ps (const Plane * p, const gint ps, const gint nt,
    guint16 * const *chan)
{
  /* everything in locals: the project builds with -fno-strict-aliasing,
   * so the stores to the rows would otherwise reload them */
  const gint n = p->tx.n, nchan = p->nchan;
  const gint *start = p->tx.start;
  const guint16 *weights = p->tx.w;
  const guint16 *acc = p->acc;
  guint16 *o0 = chan[p->comp[0]];
  guint16 *o1 = nchan > 1 ? chan[p->comp[1]] : NULL;
  guint16 *o2 = nchan > 2 ? chan[p->comp[2]] : NULL;
  const gint f0 = p->off[0], f1 = nchan > 1 ? p->off[1] : 0;
  const gint f2 = nchan > 2 ? p->off[2] : 0;
  gint i, k;

  for (i = 0; i < n; i++) {
    const guint16 *a = acc + (gsize) start[i] * ps;
    const guint16 *w = weights + (gsize) i * nt;
    guint32 s0 = W_ONE / 2, s1 = W_ONE / 2, s2 = W_ONE / 2, s3 = W_ONE / 2;

    /* the lanes spelt out: kept in registers */
    for (k = 0; k < nt; k++) {
      guint32 wk = w[k];
      const guint16 *ak = a + k * ps;

      s0 += wk * ak[0];
      if (ps > 1)
        s1 += wk * ak[1];
      if (ps > 2)
        s2 += wk * ak[2];
      if (ps > 3)
        s3 += wk * ak[3];
    }
    if (ps == 1) {
      o0[i] = (guint16) (s0 >> W_BITS);
    } else {
      guint32 s[4];

      s[0] = s0;
      s[1] = s1;
      s[2] = s2;
      s[3] = s3;
      o0[i] = (guint16) (s[f0] >> W_BITS);
      if (o1)
        o1[i] = (guint16) (s[f1] >> W_BITS);
      if (o2)
        o2[i] = (guint16) (s[f2] >> W_BITS);
    }
  }
}

/* ps and the tap count as constants: the common spans get straight-line
 * code (1080p to 224 is 10 luma and 6 chroma taps). */
#define HPASS_NT(ps) \
  switch (p->tx.ntaps) { \
    case 2: horizontal_pass_ps (p, ps, 2, chan); break; \
    case 3: horizontal_pass_ps (p, ps, 3, chan); break; \
    case 4: horizontal_pass_ps (p, ps, 4, chan); break; \
    case 5: horizontal_pass_ps (p, ps, 5, chan); break; \
    case 6: horizontal_pass_ps (p, ps, 6, chan); break; \
    case 7: horizontal_pass_ps (p, ps, 7, chan); break; \
    case 8: horizontal_pass_ps (p, ps, 8, chan); break; \
    case 9: horizontal_pass_ps (p, ps, 9, chan); break; \
    case 10: horizontal_pass_ps (p, ps, 10, chan); break; \
    case 11: horizontal_pass_ps (p, ps, 11, chan); break; \
    case 12: horizontal_pass_ps (p, ps, 12, chan); break; \
    default: horizontal_pass_ps (p, ps, p->tx.ntaps, chan); break; \
  }

static void
horizontal_pass (const Plane * p, guint16 * const *chan)
{
  switch (p->pstride) {
    case 1:
      HPASS_NT (1);
      break;
    case 2:
      HPASS_NT (2);
      break;
    case 3:
      HPASS_NT (3);
      break;
    default:
      HPASS_NT (4);
      break;
  }
}

static inline guint8
clamp_u8 (gint32 v)
{
  return (guint8) (v < 0 ? 0 : v > 255 ? 255 : v);
}

static void
yuv_row_to_rgb (const GstMobilenetFastConvert * fc, guint8 * restrict out)
{
  const guint16 *Y = fc->chan[0], *U = fc->chan[1], *V = fc->chan[2];
  const gint32 cy = fc->cy, crv = fc->crv, cgu = fc->cgu, cgv = fc->cgv;
  const gint32 cbu = fc->cbu, yoff = fc->yoff;
  const gint32 round = 1 << (W_BITS + C_BITS - 1);
  gint i = 0, n = fc->dest.w;

#ifdef HAVE_FAST_CONVERT_AVX2
  if (fc->avx2) {
    const gint32 coef[6] = { cy, crv, cgu, cgv, cbu, yoff };

    i = gst_mobilenet_fc_yuv_to_rgb_avx2 (Y, U, V, n, coef, out);
  }
#endif
  for (; i < n; i++) {
    gint32 y = cy * ((gint32) Y[i] - yoff) + round;
    gint32 u = (gint32) U[i] - (128 << W_BITS);
    gint32 v = (gint32) V[i] - (128 << W_BITS);

    out[3 * i + 0] = clamp_u8 ((y + crv * v) >> (W_BITS + C_BITS));
    out[3 * i + 1] = clamp_u8 ((y - cgu * u - cgv * v) >> (W_BITS + C_BITS));
    out[3 * i + 2] = clamp_u8 ((y + cbu * u) >> (W_BITS + C_BITS));
  }
}

static void
rgb_row_to_rgb (const GstMobilenetFastConvert * fc, guint8 * restrict out)
{
  const guint16 *R = fc->chan[0], *G = fc->chan[1], *B = fc->chan[2];
  const guint32 round = 1 << (W_BITS - 1);
  gint i, n = fc->dest.w;

  for (i = 0; i < n; i++) {
    out[3 * i + 0] = (guint8) ((R[i] + round) >> W_BITS);
    out[3 * i + 1] = (guint8) ((G[i] + round) >> W_BITS);
    out[3 * i + 2] = (guint8) ((B[i] + round) >> W_BITS);
  }
}

void
gst_mobilenet_fast_convert_frame (GstMobilenetFastConvert * fc,
    const GstVideoFrame * src, GstVideoFrame * dest)
{
  guint8 *obase = GST_VIDEO_FRAME_PLANE_DATA (dest, 0);
  gint ostride = GST_VIDEO_FRAME_PLANE_STRIDE (dest, 0);
  gint ow = GST_VIDEO_FRAME_WIDTH (dest), oh = GST_VIDEO_FRAME_HEIGHT (dest);
  const GstVideoRectangle *d = &fc->dest;
  gint r, i;

  g_return_if_fail (GST_VIDEO_FRAME_FORMAT (src) ==
      GST_VIDEO_INFO_FORMAT (&fc->in_info));
  g_return_if_fail (GST_VIDEO_FRAME_WIDTH (src) ==
      GST_VIDEO_INFO_WIDTH (&fc->in_info));
  g_return_if_fail (GST_VIDEO_FRAME_HEIGHT (src) ==
      GST_VIDEO_INFO_HEIGHT (&fc->in_info));
  g_return_if_fail (GST_VIDEO_FRAME_FORMAT (dest) == GST_VIDEO_FORMAT_RGB);
  g_return_if_fail (ow == GST_VIDEO_INFO_WIDTH (&fc->out_info) &&
      oh == GST_VIDEO_INFO_HEIGHT (&fc->out_info));

  /* letterbox: black outside the dest rect */
  if (d->x != 0 || d->y != 0 || d->w != ow || d->h != oh) {
    for (r = 0; r < oh; r++) {
      guint8 *row = obase + (gsize) r * ostride;

      if (r < d->y || r >= d->y + d->h) {
        memset (row, 0, (gsize) ow * 3);
      } else {
        memset (row, 0, (gsize) d->x * 3);
        memset (row + (gsize) (d->x + d->w) * 3, 0,
            (gsize) (ow - d->x - d->w) * 3);
      }
    }
  }

  for (r = 0; r < d->h; r++) {
    guint8 *out = obase + (gsize) (d->y + r) * ostride + (gsize) d->x * 3;

    for (i = 0; i < fc->nplanes; i++) {
      Plane *p = &fc->planes[i];
      const guint8 *pdata = GST_VIDEO_FRAME_PLANE_DATA (src, p->plane);
      gint stride = GST_VIDEO_FRAME_PLANE_STRIDE (src, p->plane);
      const guint8 *base = pdata + (gssize) p->ty.start[r] * stride;

      const guint16 *wy = p->ty.w + (gsize) r * p->ty.ntaps;
      const gint x0 = p->tx.lo * p->pstride, x1 = (p->tx.hi + 1) * p->pstride;

#ifdef HAVE_FAST_CONVERT_AVX2
      /* the AVX2 passes go together: the vertical one stores the sums
       * minus 32768, which only the AVX2 horizontal one expects */
      if (p->wx != NULL)
        gst_mobilenet_fc_vertical_pass_avx2 (base, stride, wy, p->ty.count[r],
            p->acc, x0, x1);
      else
#endif
        fc_vertical_pass (base, stride, wy, p->ty.count[r], 0, p->acc, x0,
            x1);
#ifdef HAVE_FAST_CONVERT_AVX2
      if (p->wx != NULL) {
        guint16 *rows[4] = { NULL, NULL, NULL, NULL };

        for (gint c = 0; c < p->nchan; c++)
          rows[p->off[c]] = fc->chan[p->comp[c]];
        gst_mobilenet_fc_hpass_avx2 (p->acc, p->pstride, p->tx.n, p->tx.start,
            p->wx, p->nvec, rows);
        continue;
      }
#endif
      horizontal_pass (p, fc->chan);
    }
    if (fc->yuv)
      yuv_row_to_rgb (fc, out);
    else
      rgb_row_to_rgb (fc, out);
  }
}
