/* test_fast_convert.c: the fused convert + scale fast path
 * (gst-plugin/fast_convert.c) against GstVideoConverter (preprocess.c),
 * which stays the reference and the fallback.
 *
 * For every fast-path format, sizes from 1x1 to 1920x1080 (odd sizes and
 * padded, odd strides included, and 3001x5 / 5x2001) and the three scale
 * modes, on a real photo and on flat colours, per byte of the 224x224 RGB
 * (levels, 0..255); the measured worst cases are printed ("# worst seen"):
 *   photos, shrinking (both axes >= the output): RGB sources mean |d|
 *     <= TOL_SHRINK_RGB_MEAN, 99th percentile <= TOL_SHRINK_RGB_P99 (the
 *     filters differ: box here, the converter's widened linear there); YUV
 *     sources mean <= TOL_SHRINK_YUV_MEAN, p99 <= TOL_SHRINK_YUV_P99: on top
 *     of the filter, GstVideoConverter's 8-bit YUV->RGB matrix is off by up
 *     to 4 levels (flat colours below), the fast path's is exact to the
 *     rounding;
 *   the same YUV photos against GstVideoConverter's scaling (to Y444, same
 *     rects) followed by an exact floating-point matrix: the RGB tolerance;
 *   photos, enlarging an axis (tiny frames): mean <= TOL_GROW_MEAN, p99 <=
 *     TOL_GROW_P99 (bilinear both, but the converter upsamples chroma
 *     before scaling, and tiny frames have nothing but edges);
 *   flat colours: RGB exact; YUV within TOL_FLAT_YUV of the converter and
 *     within 1 level of the exact matrix (any size, any colorimetry);
 *   3001x5 and 5x2001: TOL_EXTREME_* against the converter, which is not
 *     flat-exact there itself;
 *   letterbox borders exactly black, centre crop of exactly the same rect
 *   (a frame that is one colour inside the rect and another outside gives
 *   one flat colour).
 * Ramps shrunk by factors up to 7680 (spans of 3 to 7680 samples):
 *   within TOL_AREA of the exact area average.
 * The AVX2 passes against the portable ones: byte-identical on random
 * frames of every format and size, odd output sizes included.
 * Then the element: each shared photo's top-1 with the fast path equals the
 * top-1 with GstVideoConverter (GST_MOBILENET_FAST_CONVERT=0), V2 quant. */
#include <gst/check/gstharness.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "elements_util.h"
#include "preprocess.h"
#include "fast_convert.h"

#define OUT_W 224
#define OUT_H 224

/* the tolerances stated above (levels) */
#define TOL_SHRINK_RGB_MEAN 1.5
#define TOL_SHRINK_RGB_P99 8
#define TOL_SHRINK_YUV_MEAN 3.0
#define TOL_SHRINK_YUV_P99 10
#define TOL_GROW_MEAN 6.0
#define TOL_GROW_P99 24
#define TOL_FLAT_YUV 4
#define TOL_FLAT_RGB 0
/* ramps against the exact area average (check_long_spans) */
#define TOL_AREA 1
/* 3001x5 and 5x2001: GstVideoConverter's linear resampler is not even
 * flat-exact there (flat RGB comes out up to 8 levels off; the fast path
 * is exact), so only this against it, and the exact checks below */
#define TOL_EXTREME_MEAN 8.0
#define TOL_EXTREME_P99 36

static const GstVideoFormat formats[] = {
  GST_VIDEO_FORMAT_I420, GST_VIDEO_FORMAT_YV12, GST_VIDEO_FORMAT_NV12,
  GST_VIDEO_FORMAT_NV21, GST_VIDEO_FORMAT_Y42B, GST_VIDEO_FORMAT_Y444,
  GST_VIDEO_FORMAT_RGB, GST_VIDEO_FORMAT_BGR, GST_VIDEO_FORMAT_RGBx,
  GST_VIDEO_FORMAT_BGRx, GST_VIDEO_FORMAT_xRGB, GST_VIDEO_FORMAT_xBGR,
  GST_VIDEO_FORMAT_RGBA, GST_VIDEO_FORMAT_BGRA, GST_VIDEO_FORMAT_ARGB,
  GST_VIDEO_FORMAT_ABGR,
};

static const struct
{
  gint w, h;
  gboolean pad;                 /* padded: odd strides, offset planes */
  gboolean extreme;             /* > 8x on an axis: the converter is off */
} sizes[] = {
  {1, 1, FALSE, FALSE}, {3, 7, FALSE, FALSE}, {3, 7, TRUE, FALSE},
  {17, 9, TRUE, FALSE}, {100, 50, FALSE, FALSE}, {225, 223, FALSE, FALSE},
  {301, 263, TRUE, FALSE}, {640, 480, FALSE, FALSE}, {640, 480, TRUE, FALSE},
  {1920, 1080, FALSE, FALSE},
  /* long spans one way, enlarging the other */
  {3001, 5, FALSE, TRUE}, {5, 2001, TRUE, TRUE},
};

static const gchar *mode_names[] = { "stretch", "center-crop", "letterbox" };

typedef struct
{
  gdouble mean;
  gint p99, max;
} Diff;

/* track the worst seen, to print what is achievable */
static Diff worst_shrink_rgb, worst_shrink_yuv, worst_grow, worst_exact;
static gint worst_flat_yuv, worst_flat_rgb;

static gboolean
is_yuv (GstVideoFormat f)
{
  return GST_VIDEO_FORMAT_INFO_IS_YUV (gst_video_format_get_info (f));
}

/* @info for @f at @w x @h; padded: 2 columns left, 3 right (odd strides
 * for the 1-byte formats), 2 rows above, 1 below. */
static void
source_info (GstVideoInfo *info, GstVideoFormat f, gint w, gint h,
    gboolean pad)
{
  gst_video_info_set_format (info, f, w, h);
  if (pad) {
    GstVideoAlignment al;

    gst_video_alignment_reset (&al);
    al.padding_left = 2;
    al.padding_right = 3;
    al.padding_top = 2;
    al.padding_bottom = 1;
    gst_video_info_align (info, &al);
  }
}

/* @rgb (described by @rgb_info) converted and scaled to @info by
 * GstVideoConverter; the padding holds garbage. */
static GstBuffer *
make_source (const GstVideoInfo *rgb_info, GstBuffer *rgb,
    const GstVideoInfo *info)
{
  GstBuffer *buf = gst_buffer_new_allocate (NULL, info->size, NULL);
  GstVideoFrame in, out;
  GstVideoConverter *conv;

  gst_buffer_memset (buf, 0, 0xa7, info->size);
  gst_video_frame_map (&in, (GstVideoInfo *) rgb_info, rgb, GST_MAP_READ);
  gst_video_frame_map (&out, (GstVideoInfo *) info, buf, GST_MAP_WRITE);
  conv = gst_video_converter_new ((GstVideoInfo *) rgb_info,
      (GstVideoInfo *) info, NULL);
  gst_video_converter_frame (conv, &in, &out);
  gst_video_converter_free (conv);
  gst_video_frame_unmap (&out);
  gst_video_frame_unmap (&in);
  return buf;
}

/* A flat RGB buffer of @w x @h, or two colours: @inside within @r. */
static GstBuffer *
make_rgb (GstVideoInfo *rgb_info, gint w, gint h, guint32 outside,
    guint32 inside, const GstVideoRectangle *r)
{
  GstBuffer *buf;
  GstVideoFrame f;
  gint x, y;

  gst_video_info_set_format (rgb_info, GST_VIDEO_FORMAT_RGB, w, h);
  buf = gst_buffer_new_allocate (NULL, rgb_info->size, NULL);
  gst_video_frame_map (&f, rgb_info, buf, GST_MAP_WRITE);
  for (y = 0; y < h; y++) {
    guint8 *p = (guint8 *) GST_VIDEO_FRAME_PLANE_DATA (&f, 0) +
        y * GST_VIDEO_FRAME_PLANE_STRIDE (&f, 0);
    for (x = 0; x < w; x++) {
      gboolean in = r && x >= r->x && x < r->x + r->w && y >= r->y &&
          y < r->y + r->h;
      guint32 c = in ? inside : outside;

      p[3 * x + 0] = c >> 16;
      p[3 * x + 1] = (c >> 8) & 0xff;
      p[3 * x + 2] = c & 0xff;
    }
  }
  gst_video_frame_unmap (&f);
  return buf;
}

/* Both conversions of @src into fresh 224x224 RGB buffers. FALSE if the
 * fast path refuses @info. */
static gboolean
convert_both (const GstVideoInfo *info, GstBuffer *src,
    GstMobilenetScaleMode mode, GstVideoInfo *out_info, GstBuffer **ref,
    GstBuffer **fast_out)
{
  GstVideoConverter *conv;
  GstMobilenetFastConvert *fast;
  GstVideoFrame in, o1, o2;

  gst_mobilenet_preprocess_rgb_info (out_info, OUT_W, OUT_H);
  conv = gst_mobilenet_preprocess_new (info, out_info, mode);
  fast = gst_mobilenet_fast_convert_new (info, out_info, mode);
  if (conv == NULL || fast == NULL) {
    if (conv)
      gst_video_converter_free (conv);
    gst_mobilenet_fast_convert_free (fast);
    return FALSE;
  }
  *ref = gst_buffer_new_allocate (NULL, out_info->size, NULL);
  *fast_out = gst_buffer_new_allocate (NULL, out_info->size, NULL);
  /* different garbage in both: the borders must be written */
  gst_buffer_memset (*ref, 0, 0x55, out_info->size);
  gst_buffer_memset (*fast_out, 0, 0x99, out_info->size);
  gst_video_frame_map (&in, (GstVideoInfo *) info, src, GST_MAP_READ);
  gst_video_frame_map (&o1, out_info, *ref, GST_MAP_WRITE);
  gst_video_frame_map (&o2, out_info, *fast_out, GST_MAP_WRITE);
  gst_video_converter_frame (conv, &in, &o1);
  gst_mobilenet_fast_convert_frame (fast, &in, &o2);
  gst_video_frame_unmap (&o2);
  gst_video_frame_unmap (&o1);
  gst_video_frame_unmap (&in);
  gst_video_converter_free (conv);
  gst_mobilenet_fast_convert_free (fast);
  return TRUE;
}

/* |a - b| over the pixels of @r (all three bytes). */
static Diff
diff_rect (const GstVideoInfo *out_info, GstBuffer *a, GstBuffer *b,
    const GstVideoRectangle *r)
{
  guint64 hist[256] = { 0 }, n = 0, sum = 0, cum = 0;
  GstMapInfo ma, mb;
  Diff d = { 0.0, 0, 0 };
  gint x, y, v;

  gst_buffer_map (a, &ma, GST_MAP_READ);
  gst_buffer_map (b, &mb, GST_MAP_READ);
  for (y = r->y; y < r->y + r->h; y++) {
    gsize row = (gsize) y * GST_VIDEO_INFO_PLANE_STRIDE (out_info, 0);

    for (x = r->x * 3; x < (r->x + r->w) * 3; x++) {
      gint e = ABS ((gint) ma.data[row + x] - (gint) mb.data[row + x]);

      hist[e]++;
      sum += e;
      n++;
    }
  }
  gst_buffer_unmap (a, &ma);
  gst_buffer_unmap (b, &mb);
  d.mean = n ? (gdouble) sum / n : 0.0;
  for (v = 0; v < 256; v++) {
    cum += hist[v];
    if (hist[v])
      d.max = v;
    if (cum * 100 < n * 99)
      d.p99 = v + 1;
  }
  return d;
}

/* TRUE when every byte of @buf outside @r is 0. */
static gboolean
borders_black (const GstVideoInfo *out_info, GstBuffer *buf,
    const GstVideoRectangle *r)
{
  GstMapInfo m;
  gboolean ok = TRUE;
  gint x, y;

  gst_buffer_map (buf, &m, GST_MAP_READ);
  for (y = 0; y < OUT_H; y++) {
    const guint8 *row = m.data + (gsize) y *
        GST_VIDEO_INFO_PLANE_STRIDE (out_info, 0);

    for (x = 0; x < OUT_W; x++) {
      gboolean in = x >= r->x && x < r->x + r->w && y >= r->y &&
          y < r->y + r->h;

      if (!in && (row[3 * x] | row[3 * x + 1] | row[3 * x + 2]) != 0)
        ok = FALSE;
    }
  }
  gst_buffer_unmap (buf, &m);
  return ok;
}

static void
dest_rect (const GstVideoInfo *info, GstMobilenetScaleMode mode,
    GstVideoRectangle *src, GstVideoRectangle *dest)
{
  gst_mobilenet_preprocess_rects (info, OUT_W, OUT_H, mode, src, dest);
}

/* Photo content at every format, size and mode. */
static void
check_photos (GstSample *photo, GstSample *photo_1080)
{
  GstVideoInfo photo_info, photo1080_info;
  guint f, s, m;

  gst_video_info_from_caps (&photo_info, gst_sample_get_caps (photo));
  gst_video_info_from_caps (&photo1080_info, gst_sample_get_caps (photo_1080));

  for (f = 0; f < G_N_ELEMENTS (formats); f++) {
    for (s = 0; s < G_N_ELEMENTS (sizes); s++) {
      GstVideoInfo info, out_info;
      GstBuffer *src;
      /* 1920x1080: the 1080p photo itself, else the photo scaled */
      gboolean hd = sizes[s].w == 1920;
      const GstVideoInfo *pi = hd ? &photo1080_info : &photo_info;
      GstSample *ps = hd ? photo_1080 : photo;

      source_info (&info, formats[f], sizes[s].w, sizes[s].h, sizes[s].pad);
      src = make_source (pi, gst_sample_get_buffer (ps), &info);
      for (m = 0; m < 3; m++) {
        GstBuffer *ref = NULL, *out = NULL;
        GstVideoRectangle sr, dr;
        gboolean shrink;
        Diff d;
        gboolean ok;
        gchar *what = g_strdup_printf ("%s %dx%d%s %s photo",
            gst_video_format_to_string (formats[f]), sizes[s].w, sizes[s].h,
            sizes[s].pad ? " padded" : "", mode_names[m]);

        if (!convert_both (&info, src, m, &out_info, &ref, &out)) {
          CHECK (FALSE, "%s: the fast path takes it", what);
          g_free (what);
          continue;
        }
        dest_rect (&info, m, &sr, &dr);
        shrink = sr.w >= dr.w && sr.h >= dr.h;
        d = diff_rect (&out_info, ref, out, &dr);
        if (sizes[s].extreme)
          ok = d.mean <= TOL_EXTREME_MEAN && d.p99 <= TOL_EXTREME_P99;
        else if (shrink && !is_yuv (formats[f]))
          ok = d.mean <= TOL_SHRINK_RGB_MEAN && d.p99 <= TOL_SHRINK_RGB_P99;
        else if (shrink)
          ok = d.mean <= TOL_SHRINK_YUV_MEAN && d.p99 <= TOL_SHRINK_YUV_P99;
        else
          ok = d.mean <= TOL_GROW_MEAN && d.p99 <= TOL_GROW_P99;
        CHECK (ok, "%s (%s): mean |d| %.3f, p99 %d, max %d", what,
            sizes[s].extreme ? "extreme" : shrink ? "shrink" : "enlarge",
            d.mean, d.p99, d.max);
        if (!sizes[s].extreme) {
          Diff *w = !shrink ? &worst_grow : is_yuv (formats[f]) ?
              &worst_shrink_yuv : &worst_shrink_rgb;

          w->mean = MAX (w->mean, d.mean);
          w->p99 = MAX (w->p99, d.p99);
          w->max = MAX (w->max, d.max);
        }
        if (m == GST_MOBILENET_SCALE_MODE_LETTERBOX)
          CHECK (borders_black (&out_info, out, &dr) &&
              borders_black (&out_info, ref, &dr),
              "%s: borders outside %dx%d+%d+%d exactly black (both)", what,
              dr.w, dr.h, dr.x, dr.y);
        gst_buffer_unref (ref);
        gst_buffer_unref (out);
        g_free (what);
      }
      gst_buffer_unref (src);
    }
  }
}

static void exact_rgb (const GstVideoInfo *info, gdouble Y, gdouble U,
    gdouble V, guint8 rgb[3]);

/* The RGB a flat frame @src of @info must give: its own bytes (RGB) or the
 * exact matrix of its YUV. */
static void
flat_want (const GstVideoInfo *info, GstBuffer *src, guint8 want[3])
{
  GstVideoFrame f;
  guint8 v[3];
  guint c;

  gst_video_frame_map (&f, (GstVideoInfo *) info, src, GST_MAP_READ);
  for (c = 0; c < 3; c++)
    v[c] = *((const guint8 *) GST_VIDEO_FRAME_COMP_DATA (&f, c));
  gst_video_frame_unmap (&f);
  if (GST_VIDEO_INFO_IS_YUV (info))
    exact_rgb (info, v[0], v[1], v[2], want);
  else
    memcpy (want, v, 3);
}

/* max |out - want| over @r */
static gint
flat_err (const GstVideoInfo *out_info, GstBuffer *out,
    const GstVideoRectangle *r, const guint8 want[3])
{
  GstMapInfo m;
  gint x, y, worst = 0;

  gst_buffer_map (out, &m, GST_MAP_READ);
  for (y = r->y; y < r->y + r->h; y++) {
    const guint8 *row = m.data + (gsize) y *
        GST_VIDEO_INFO_PLANE_STRIDE (out_info, 0);

    for (x = r->x; x < r->x + r->w; x++) {
      worst = MAX (worst, ABS ((gint) row[3 * x] - want[0]));
      worst = MAX (worst, ABS ((gint) row[3 * x + 1] - want[1]));
      worst = MAX (worst, ABS ((gint) row[3 * x + 2] - want[2]));
    }
  }
  gst_buffer_unmap (out, &m);
  return worst;
}

/* Flat colours: against GstVideoConverter, and against the exact value
 * (RGB: the source bytes, exact; YUV: the exact matrix, within 1). */
static void
check_flat (void)
{
  static const guint32 colours[] = {
    0x000000, 0xffffff, 0x808080, 0xc81e3c, 0x14b4f0, 0x10eb10,
  };
  guint f, s, m, c;

  for (f = 0; f < G_N_ELEMENTS (formats); f++) {
    gboolean yuv = is_yuv (formats[f]);
    gint tol = yuv ? TOL_FLAT_YUV : TOL_FLAT_RGB;

    for (s = 0; s < G_N_ELEMENTS (sizes); s++) {
      GstVideoInfo info;
      gint worst = 0, worst_exact_flat = 0;
      gboolean ok = TRUE;

      if (sizes[s].w == 1920 && f > 0 && f != 2 && f != 9)
        continue;               /* 1080p flat: I420, NV12 and BGRx only */
      source_info (&info, formats[f], sizes[s].w, sizes[s].h, sizes[s].pad);
      for (c = 0; c < G_N_ELEMENTS (colours); c++) {
        GstVideoInfo rgb_info, out_info;
        GstBuffer *rgb = make_rgb (&rgb_info, sizes[s].w, sizes[s].h,
            colours[c], colours[c], NULL);
        GstBuffer *src = make_source (&rgb_info, rgb, &info);
        guint8 want[3];

        flat_want (&info, src, want);
        for (m = 0; m < 3; m++) {
          GstBuffer *ref = NULL, *out = NULL;
          GstVideoRectangle sr, dr;
          Diff d;

          if (!convert_both (&info, src, m, &out_info, &ref, &out)) {
            ok = FALSE;
            continue;
          }
          dest_rect (&info, m, &sr, &dr);
          d = diff_rect (&out_info, ref, out, &dr);
          if (!sizes[s].extreme)
            worst = MAX (worst, d.max);
          worst_exact_flat = MAX (worst_exact_flat,
              flat_err (&out_info, out, &dr, want));
          if (!borders_black (&out_info, out, &dr))
            ok = FALSE;
          gst_buffer_unref (ref);
          gst_buffer_unref (out);
        }
        gst_buffer_unref (src);
        gst_buffer_unref (rgb);
      }
      if (yuv)
        worst_flat_yuv = MAX (worst_flat_yuv, worst);
      else
        worst_flat_rgb = MAX (worst_flat_rgb, worst);
      CHECK (ok && worst <= tol && worst_exact_flat <= (yuv ? 1 : 0),
          "%s %dx%d%s flat colours, 3 modes: max |d| %d from the converter "
          "(<= %d%s), %d from the exact value (<= %d)",
          gst_video_format_to_string (formats[f]), sizes[s].w, sizes[s].h,
          sizes[s].pad ? " padded" : "", worst, tol,
          sizes[s].extreme ? "; not compared at this extreme ratio" : "",
          worst_exact_flat, yuv ? 1 : 0);
    }
  }
}

/* Copies the components of @from into @to outside @r (luma coordinates;
 * a chroma sample goes with the first luma sample it covers). */
static void
paint_outside (const GstVideoInfo *info, GstBuffer *to, GstBuffer *from,
    const GstVideoRectangle *r)
{
  GstVideoFrame ft, ff;
  guint c;
  gint x, y;

  gst_video_frame_map (&ft, (GstVideoInfo *) info, to, GST_MAP_WRITE);
  gst_video_frame_map (&ff, (GstVideoInfo *) info, from, GST_MAP_READ);
  for (c = 0; c < GST_VIDEO_FRAME_N_COMPONENTS (&ft); c++) {
    gint cw = GST_VIDEO_FRAME_COMP_WIDTH (&ft, c);
    gint ch = GST_VIDEO_FRAME_COMP_HEIGHT (&ft, c);
    gint ps = GST_VIDEO_FRAME_COMP_PSTRIDE (&ft, c);
    gint st = GST_VIDEO_FRAME_COMP_STRIDE (&ft, c);
    guint ws = GST_VIDEO_FORMAT_INFO_W_SUB (info->finfo, c);
    guint hs = GST_VIDEO_FORMAT_INFO_H_SUB (info->finfo, c);
    guint8 *dt = GST_VIDEO_FRAME_COMP_DATA (&ft, c);
    const guint8 *df = GST_VIDEO_FRAME_COMP_DATA (&ff, c);

    for (y = 0; y < ch; y++) {
      for (x = 0; x < cw; x++) {
        gint lx = x << ws, ly = y << hs;

        if (lx < r->x || lx >= r->x + r->w || ly < r->y || ly >= r->y + r->h)
          dt[y * st + x * ps] = df[y * st + x * ps];
      }
    }
  }
  gst_video_frame_unmap (&ff);
  gst_video_frame_unmap (&ft);
}

/* Centre crop: one colour inside the crop rect, another outside; the
 * output must be the inside colour only, as the converter's. */
static void
check_crop_rect (void)
{
  static const GstVideoFormat fmts[] = {
    GST_VIDEO_FORMAT_I420, GST_VIDEO_FORMAT_NV12, GST_VIDEO_FORMAT_RGB,
    GST_VIDEO_FORMAT_BGRx,
  };
  static const struct { gint w, h; } szs[] = {
    {1920, 1080}, {640, 480}, {480, 640}, {300, 200},
  };
  guint f, s;

  for (f = 0; f < G_N_ELEMENTS (fmts); f++) {
    for (s = 0; s < G_N_ELEMENTS (szs); s++) {
      GstVideoInfo info, rgb_info, out_info, flat_info;
      GstVideoRectangle sr, dr, all = { 0, 0, OUT_W, OUT_H };
      GstBuffer *rgb, *src, *ref, *out, *flat, *fsrc, *fref, *fout;
      Diff d, dflat;

      source_info (&info, fmts[f], szs[s].w, szs[s].h, FALSE);
      dest_rect (&info, GST_MOBILENET_SCALE_MODE_CENTER_CROP, &sr, &dr);
      /* the two colours in the source format, then a frame of the inside
       * colour with the outside painted in per component (no resampling
       * that would blur the rect's edges) */
      rgb = make_rgb (&rgb_info, szs[s].w, szs[s].h, 0xff0000, 0xff0000,
          NULL);
      src = make_source (&rgb_info, rgb, &info);
      flat = make_rgb (&flat_info, szs[s].w, szs[s].h, 0x2080c0, 0x2080c0,
          NULL);
      fsrc = make_source (&flat_info, flat, &info);
      {
        GstBuffer *marked = gst_buffer_copy_deep (fsrc);

        paint_outside (&info, marked, src, &sr);
        gst_buffer_unref (src);
        src = marked;
      }
      if (!convert_both (&info, src, GST_MOBILENET_SCALE_MODE_CENTER_CROP,
              &out_info, &ref, &out) ||
          !convert_both (&info, fsrc, GST_MOBILENET_SCALE_MODE_CENTER_CROP,
              &out_info, &fref, &fout)) {
        CHECK (FALSE, "crop rect %s %dx%d: converted",
            gst_video_format_to_string (fmts[f]), szs[s].w, szs[s].h);
        continue;
      }
      /* the fast output of the marked frame = the all-inside-colour one */
      d = diff_rect (&out_info, out, fout, &all);
      dflat = diff_rect (&out_info, ref, fref, &all);
      CHECK (d.max <= 1, "center-crop %s %dx%d: source rect %dx%d+%d+%d, "
          "nothing from outside it (fast max |d| %d; converter %d)",
          gst_video_format_to_string (fmts[f]), szs[s].w, szs[s].h, sr.w,
          sr.h, sr.x, sr.y, d.max, dflat.max);
      gst_buffer_unref (rgb);
      gst_buffer_unref (src);
      gst_buffer_unref (flat);
      gst_buffer_unref (fsrc);
      gst_buffer_unref (ref);
      gst_buffer_unref (out);
      gst_buffer_unref (fref);
      gst_buffer_unref (fout);
    }
  }
}

/* I420 in BT.601 / BT.709 / BT.2020, limited and full range. */
static void
check_colorimetry (GstSample *photo)
{
  static const struct
  {
    GstVideoColorMatrix matrix;
    GstVideoColorRange range;
    const gchar *name;
  } cms[] = {
    {GST_VIDEO_COLOR_MATRIX_BT601, GST_VIDEO_COLOR_RANGE_16_235, "bt601"},
    {GST_VIDEO_COLOR_MATRIX_BT601, GST_VIDEO_COLOR_RANGE_0_255, "bt601 full"},
    {GST_VIDEO_COLOR_MATRIX_BT709, GST_VIDEO_COLOR_RANGE_16_235, "bt709"},
    {GST_VIDEO_COLOR_MATRIX_BT709, GST_VIDEO_COLOR_RANGE_0_255, "bt709 full"},
    {GST_VIDEO_COLOR_MATRIX_BT2020, GST_VIDEO_COLOR_RANGE_16_235, "bt2020"},
  };
  GstVideoInfo photo_info;
  guint i;

  gst_video_info_from_caps (&photo_info, gst_sample_get_caps (photo));
  for (i = 0; i < G_N_ELEMENTS (cms); i++) {
    GstVideoInfo info, out_info;
    GstBuffer *src, *ref, *out;
    GstVideoRectangle all = { 0, 0, OUT_W, OUT_H };
    Diff d;

    source_info (&info, GST_VIDEO_FORMAT_NV12, 640, 480, FALSE);
    info.colorimetry.matrix = cms[i].matrix;
    info.colorimetry.range = cms[i].range;
    src = make_source (&photo_info, gst_sample_get_buffer (photo), &info);
    if (!convert_both (&info, src, GST_MOBILENET_SCALE_MODE_STRETCH,
            &out_info, &ref, &out)) {
      CHECK (FALSE, "NV12 %s: the fast path takes it", cms[i].name);
      gst_buffer_unref (src);
      continue;
    }
    d = diff_rect (&out_info, ref, out, &all);
    CHECK (d.mean <= TOL_SHRINK_YUV_MEAN && d.p99 <= TOL_SHRINK_YUV_P99,
        "NV12 640x480 %s photo: mean |d| %.3f, p99 %d, max %d", cms[i].name,
        d.mean, d.p99, d.max);
    gst_buffer_unref (src);
    gst_buffer_unref (ref);
    gst_buffer_unref (out);
  }
}

/* The exact YUV -> RGB of @info's colorimetry, in levels. */
static void
exact_rgb (const GstVideoInfo *info, gdouble Y, gdouble U, gdouble V,
    guint8 rgb[3])
{
  gint off[GST_VIDEO_MAX_COMPONENTS], sc[GST_VIDEO_MAX_COMPONENTS];
  gdouble kr, kb, kg, y, u, v, o[3];
  gint i;

  gst_video_color_matrix_get_Kr_Kb (info->colorimetry.matrix, &kr, &kb);
  gst_video_color_range_offsets (info->colorimetry.range, info->finfo, off,
      sc);
  kg = 1.0 - kr - kb;
  y = (Y - off[0]) * 255.0 / sc[0];
  u = (U - off[1]) * 255.0 / sc[1];
  v = (V - off[2]) * 255.0 / sc[2];
  o[0] = y + 2.0 * (1.0 - kr) * v;
  o[1] = y - 2.0 * kb * (1.0 - kb) / kg * u - 2.0 * kr * (1.0 - kr) / kg * v;
  o[2] = y + 2.0 * (1.0 - kb) * u;
  for (i = 0; i < 3; i++)
    rgb[i] = (guint8) CLAMP (floor (o[i] + 0.5), 0, 255);
}

/* YUV photos: GstVideoConverter scales to Y444 224x224 (same rects), an
 * exact matrix makes RGB; the fast path must be as close to that as it is
 * to the converter on RGB sources. */
static void
check_exact_matrix (GstSample *photo, GstSample *photo_1080)
{
  static const GstVideoFormat fmts[] = {
    GST_VIDEO_FORMAT_I420, GST_VIDEO_FORMAT_NV12, GST_VIDEO_FORMAT_Y42B,
  };
  static const struct { gint w, h; } szs[] = { {640, 480}, {1920, 1080} };
  guint f, s, m;

  for (f = 0; f < G_N_ELEMENTS (fmts); f++) {
    for (s = 0; s < G_N_ELEMENTS (szs); s++) {
      GstVideoInfo info, pi;
      GstSample *ps = szs[s].w == 1920 ? photo_1080 : photo;
      GstBuffer *src;

      gst_video_info_from_caps (&pi, gst_sample_get_caps (ps));
      source_info (&info, fmts[f], szs[s].w, szs[s].h, FALSE);
      src = make_source (&pi, gst_sample_get_buffer (ps), &info);
      for (m = 0; m < 3; m++) {
        GstVideoInfo y444, out_info;
        GstVideoConverter *conv;
        GstBuffer *yb, *ref, *out, *dummy;
        GstVideoFrame in, yf, rf;
        GstVideoRectangle sr, dr;
        gint x, y;
        Diff d;

        if (!convert_both (&info, src, m, &out_info, &dummy, &out))
          continue;
        gst_buffer_unref (dummy);
        gst_video_info_set_format (&y444, GST_VIDEO_FORMAT_Y444, OUT_W,
            OUT_H);
        y444.colorimetry = info.colorimetry;
        conv = gst_mobilenet_preprocess_new (&info, &y444, m);
        yb = gst_buffer_new_allocate (NULL, y444.size, NULL);
        ref = gst_buffer_new_allocate (NULL, out_info.size, NULL);
        gst_video_frame_map (&in, &info, src, GST_MAP_READ);
        gst_video_frame_map (&yf, &y444, yb, GST_MAP_READWRITE);
        gst_video_converter_frame (conv, &in, &yf);
        gst_video_converter_free (conv);
        gst_video_frame_map (&rf, &out_info, ref, GST_MAP_WRITE);
        dest_rect (&info, m, &sr, &dr);
        for (y = dr.y; y < dr.y + dr.h; y++) {
          for (x = dr.x; x < dr.x + dr.w; x++) {
            const guint8 *py = GST_VIDEO_FRAME_PLANE_DATA (&yf, 0);
            const guint8 *pu = GST_VIDEO_FRAME_PLANE_DATA (&yf, 1);
            const guint8 *pv = GST_VIDEO_FRAME_PLANE_DATA (&yf, 2);
            gint st = GST_VIDEO_FRAME_PLANE_STRIDE (&yf, 0);
            guint8 *o = (guint8 *) GST_VIDEO_FRAME_PLANE_DATA (&rf, 0) +
                y * GST_VIDEO_FRAME_PLANE_STRIDE (&rf, 0) + 3 * x;

            exact_rgb (&info, py[y * st + x], pu[y * st + x], pv[y * st + x],
                o);
          }
        }
        gst_video_frame_unmap (&rf);
        gst_video_frame_unmap (&yf);
        gst_video_frame_unmap (&in);
        d = diff_rect (&out_info, ref, out, &dr);
        worst_exact.mean = MAX (worst_exact.mean, d.mean);
        worst_exact.p99 = MAX (worst_exact.p99, d.p99);
        worst_exact.max = MAX (worst_exact.max, d.max);
        CHECK (d.mean <= TOL_SHRINK_RGB_MEAN && d.p99 <= TOL_SHRINK_RGB_P99,
            "%s %dx%d %s photo against the converter's scaling + the exact "
            "matrix: mean |d| %.3f, p99 %d, max %d",
            gst_video_format_to_string (fmts[f]), szs[s].w, szs[s].h,
            mode_names[m], d.mean, d.p99, d.max);
        gst_buffer_unref (yb);
        gst_buffer_unref (ref);
        gst_buffer_unref (out);
      }
      gst_buffer_unref (src);
    }
  }
}

/* Flat YUV written straight into the planes: the fast path's RGB within a
 * level of the exact matrix, for every colorimetry it takes. */
static void
check_flat_exact (void)
{
  static const GstVideoFormat fmts[] = {
    GST_VIDEO_FORMAT_I420, GST_VIDEO_FORMAT_NV12, GST_VIDEO_FORMAT_Y444,
  };
  static const GstVideoColorMatrix mats[] = {
    GST_VIDEO_COLOR_MATRIX_BT601, GST_VIDEO_COLOR_MATRIX_BT709,
    GST_VIDEO_COLOR_MATRIX_BT2020,
  };
  guint f, mi, ri;

  for (f = 0; f < G_N_ELEMENTS (fmts); f++) {
    for (mi = 0; mi < G_N_ELEMENTS (mats); mi++) {
      for (ri = 0; ri < 2; ri++) {
        GstVideoInfo info, out_info;
        GstMobilenetFastConvert *fc;
        gint worst = 0, Y, U, V;

        gst_video_info_set_format (&info, fmts[f], 33, 17);
        info.colorimetry.matrix = mats[mi];
        info.colorimetry.range = ri ? GST_VIDEO_COLOR_RANGE_0_255 :
            GST_VIDEO_COLOR_RANGE_16_235;
        gst_mobilenet_preprocess_rgb_info (&out_info, OUT_W, OUT_H);
        fc = gst_mobilenet_fast_convert_new (&info, &out_info, 0);
        if (fc == NULL) {
          CHECK (FALSE, "fast path for %s", gst_video_format_to_string
              (fmts[f]));
          continue;
        }
        for (Y = 0; Y < 256; Y += 15) {
          for (U = 0; U < 256; U += 51) {
            for (V = 0; V < 256; V += 51) {
              GstBuffer *b = gst_buffer_new_allocate (NULL, info.size, NULL);
              GstBuffer *o = gst_buffer_new_allocate (NULL, out_info.size,
                  NULL);
              GstVideoFrame fi, fo;
              guint c;
              guint8 want[3];
              const guint8 *got;

              gst_video_frame_map (&fi, &info, b, GST_MAP_READWRITE);
              for (c = 0; c < 3; c++) {
                gint x, y, val = c == 0 ? Y : c == 1 ? U : V;

                for (y = 0; y < GST_VIDEO_FRAME_COMP_HEIGHT (&fi, c); y++)
                  for (x = 0; x < GST_VIDEO_FRAME_COMP_WIDTH (&fi, c); x++)
                    ((guint8 *) GST_VIDEO_FRAME_COMP_DATA (&fi, c))[y *
                        GST_VIDEO_FRAME_COMP_STRIDE (&fi, c) +
                        x * GST_VIDEO_FRAME_COMP_PSTRIDE (&fi, c)] = val;
              }
              gst_video_frame_map (&fo, &out_info, o, GST_MAP_WRITE);
              gst_mobilenet_fast_convert_frame (fc, &fi, &fo);
              exact_rgb (&info, Y, U, V, want);
              got = GST_VIDEO_FRAME_PLANE_DATA (&fo, 0);
              for (c = 0; c < 3; c++)
                worst = MAX (worst, ABS ((gint) got[c] - (gint) want[c]));
              gst_video_frame_unmap (&fo);
              gst_video_frame_unmap (&fi);
              gst_buffer_unref (b);
              gst_buffer_unref (o);
            }
          }
        }
        gst_mobilenet_fast_convert_free (fc);
        CHECK (worst <= 1, "%s %s %s range: flat YUV within %d level of the "
            "exact matrix (<= 1)", gst_video_format_to_string (fmts[f]),
            mats[mi] == GST_VIDEO_COLOR_MATRIX_BT601 ? "BT.601" :
            mats[mi] == GST_VIDEO_COLOR_MATRIX_BT709 ? "BT.709" : "BT.2020",
            ri ? "full" : "limited", worst);
      }
    }
  }
}

/* Output @i of @n's area average along an axis of @size samples (the
 * stretch mode's whole-axis span): each sample's overlap with it. */
static gdouble
axis_overlap (gint i, gint n, gint size, gint j)
{
  gdouble a = (gdouble) i * size / n, b = (gdouble) (i + 1) * size / n;

  return MAX (0.0, MIN (b, j + 1.0) - MAX (a, (gdouble) j));
}

/* Ramps (R across, G down, B diagonal) shrunk by factors up to 7680:
 * every output byte within TOL_AREA of the exact area average, computed
 * in double.  The fast path quantises each span's running weight sum to
 * 8 bits, so on a ramp each axis is off by under half a level before the
 * final rounding.  (Quantising each weight alone, the remainder on the
 * largest, made some weights negative on spans of 23 taps or more: 100
 * taps of 2.56/256 rounded to 3s, and the whole output was garbage.) */
static void
check_long_spans (void)
{
  static const GstVideoFormat fmts[] = {
    GST_VIDEO_FORMAT_RGB, GST_VIDEO_FORMAT_BGRx, GST_VIDEO_FORMAT_xRGB,
  };
  static const struct { gint w, h, ow, oh; } cases[] = {
    {100, 50, 1, 1}, {1920, 1080, 7, 5}, {2000, 600, 9, 3},
    {7680, 48, 224, 1}, {640, 480, 224, 224}, {333, 2001, 3, 17},
  };
  gint worst = 0;

  for (gsize f = 0; f < G_N_ELEMENTS (fmts); f++) {
    for (gsize k = 0; k < G_N_ELEMENTS (cases); k++) {
      const gint w = cases[k].w, h = cases[k].h;
      const gint ow = cases[k].ow, oh = cases[k].oh;
      GstVideoInfo rgb_info, info, out_info;
      GstBuffer *rgb = make_rgb (&rgb_info, w, h, 0, 0, NULL), *src, *out;
      GstMobilenetFastConvert *fc;
      GstVideoFrame fr, fi, fo;
      gint x, y, c, ox, oy, bad = 0;

      gst_video_frame_map (&fr, &rgb_info, rgb, GST_MAP_WRITE);
      for (y = 0; y < h; y++) {
        guint8 *p = (guint8 *) GST_VIDEO_FRAME_PLANE_DATA (&fr, 0) +
            y * GST_VIDEO_FRAME_PLANE_STRIDE (&fr, 0);

        for (x = 0; x < w; x++) {
          p[3 * x + 0] = (guint8) (x * 255 / (w - 1));
          p[3 * x + 1] = (guint8) (y * 255 / (h - 1));
          p[3 * x + 2] = (guint8) ((x + y) * 255 / (w + h - 2));
        }
      }
      gst_video_frame_unmap (&fr);
      gst_video_info_set_format (&info, fmts[f], w, h);
      src = make_source (&rgb_info, rgb, &info);
      gst_mobilenet_preprocess_rgb_info (&out_info, ow, oh);
      fc = gst_mobilenet_fast_convert_new (&info, &out_info, 0);
      out = gst_buffer_new_allocate (NULL, out_info.size, NULL);
      CHECK (fc != NULL, "fast path for %s",
          gst_video_format_to_string (fmts[f]));
      if (fc == NULL)
        continue;
      gst_video_frame_map (&fr, &rgb_info, rgb, GST_MAP_READ);
      gst_video_frame_map (&fi, &info, src, GST_MAP_READ);
      gst_video_frame_map (&fo, &out_info, out, GST_MAP_WRITE);
      gst_mobilenet_fast_convert_frame (fc, &fi, &fo);
      for (oy = 0; oy < oh; oy++) {
        for (ox = 0; ox < ow; ox++) {
          gdouble sum[3] = { 0.0, 0.0, 0.0 }, area = 0.0;

          for (y = oy * h / oh; y < h && y <= (oy + 1) * h / oh; y++) {
            const guint8 *p = (const guint8 *)
                GST_VIDEO_FRAME_PLANE_DATA (&fr, 0) +
                y * GST_VIDEO_FRAME_PLANE_STRIDE (&fr, 0);
            gdouble wy = axis_overlap (oy, oh, h, y);

            for (x = ox * w / ow; x < w && x <= (ox + 1) * w / ow; x++) {
              gdouble wxy = wy * axis_overlap (ox, ow, w, x);

              area += wxy;
              for (c = 0; c < 3; c++)
                sum[c] += wxy * p[3 * x + c];
            }
          }
          for (c = 0; c < 3; c++) {
            const guint8 *o = (const guint8 *)
                GST_VIDEO_FRAME_PLANE_DATA (&fo, 0) +
                oy * GST_VIDEO_FRAME_PLANE_STRIDE (&fo, 0) + 3 * ox;
            gint d = ABS ((gint) o[c] - (gint) floor (sum[c] / area + 0.5));

            worst = MAX (worst, d);
            bad += d > TOL_AREA;
          }
        }
      }
      gst_video_frame_unmap (&fo);
      gst_video_frame_unmap (&fi);
      gst_video_frame_unmap (&fr);
      CHECK (bad == 0, "%s %dx%d -> %dx%d ramps: %d of %d bytes off the exact "
          "area average by more than %d", gst_video_format_to_string (fmts[f]),
          w, h, ow, oh, bad, ow * oh * 3, TOL_AREA);
      gst_mobilenet_fast_convert_free (fc);
      gst_buffer_unref (out);
      gst_buffer_unref (src);
      gst_buffer_unref (rgb);
    }
  }
  printf ("# long spans: worst %d level(s) off the exact area average\n",
      worst);
}

/* What the fast path leaves to GstVideoConverter. */
static void
check_fallback (void)
{
  GstVideoInfo info, out_info;
  GstMobilenetFastConvert *fc;

  gst_mobilenet_preprocess_rgb_info (&out_info, OUT_W, OUT_H);

  gst_video_info_set_interlaced_format (&info, GST_VIDEO_FORMAT_I420,
      GST_VIDEO_INTERLACE_MODE_INTERLEAVED, 720, 576);
  fc = gst_mobilenet_fast_convert_new (&info, &out_info, 0);
  CHECK (fc == NULL, "interlaced I420: GstVideoConverter");
  gst_mobilenet_fast_convert_free (fc);

  gst_video_info_set_format (&info, GST_VIDEO_FORMAT_GRAY8, 64, 64);
  fc = gst_mobilenet_fast_convert_new (&info, &out_info, 0);
  CHECK (fc == NULL, "GRAY8: GstVideoConverter");
  gst_mobilenet_fast_convert_free (fc);

  gst_video_info_set_format (&info, GST_VIDEO_FORMAT_YUY2, 64, 64);
  fc = gst_mobilenet_fast_convert_new (&info, &out_info, 0);
  CHECK (fc == NULL, "YUY2: GstVideoConverter");
  gst_mobilenet_fast_convert_free (fc);

  gst_video_info_set_format (&info, GST_VIDEO_FORMAT_I420, 64, 64);
  info.colorimetry.matrix = GST_VIDEO_COLOR_MATRIX_UNKNOWN;
  fc = gst_mobilenet_fast_convert_new (&info, &out_info, 0);
  CHECK (fc == NULL, "I420 of unknown matrix: GstVideoConverter");
  gst_mobilenet_fast_convert_free (fc);

  gst_video_info_set_format (&info, GST_VIDEO_FORMAT_RGBx, 64, 64);
  info.colorimetry.range = GST_VIDEO_COLOR_RANGE_16_235;
  fc = gst_mobilenet_fast_convert_new (&info, &out_info, 0);
  CHECK (fc == NULL, "limited-range RGBx: GstVideoConverter");
  gst_mobilenet_fast_convert_free (fc);

  gst_video_info_set_format (&info, GST_VIDEO_FORMAT_I420, 64, 64);
  fc = gst_mobilenet_fast_convert_new (&info, &out_info, 0);
  CHECK (fc != NULL, "progressive I420: the fast path");
  gst_mobilenet_fast_convert_free (fc);
}

/* The element's top-1 on @sample, fast path on or off. */
static gint
element_top1 (GstSample *sample, const gchar *model, gboolean fast,
    gdouble *score)
{
  GstHarness *h;
  GstBuffer *out;
  gchar *desc = g_strdup_printf ("mobilenet model=\"%s\"", model);
  gint id = -1;

  g_setenv ("GST_MOBILENET_FAST_CONVERT", fast ? "1" : "0", TRUE);
  h = gst_harness_new_parse (desc);
  g_free (desc);
  gst_harness_set_src_caps (h, gst_caps_copy (gst_sample_get_caps (sample)));
  out = gst_harness_push_and_pull (h,
      gst_buffer_copy (gst_sample_get_buffer (sample)));
  if (out == NULL || !eu_meta_top1 (out, &id, NULL, score))
    id = -1;
  gst_clear_buffer (&out);
  gst_harness_teardown (h);
  g_unsetenv ("GST_MOBILENET_FAST_CONVERT");
  return id;
}

static void
check_classification (void)
{
  static const gchar *photos[] = {
    "cat.png", "bird.png", "sunflower.png", "dragonfly.png",
    "grace_hopper.png", "cat_1080p.jpg",
  };
  static const gchar *fmts[] = { "I420", "NV12", "BGRx", "RGB" };
  gchar *model = eu_model ("mobilenet_v2_1.0_224_quant.tflite");
  guint p, f;

  for (p = 0; p < G_N_ELEMENTS (photos); p++) {
    gchar *img = eu_image (photos[p]);

    for (f = 0; f < G_N_ELEMENTS (fmts); f++) {
      GstSample *sample = eu_decode_image (img, fmts[f]);
      gdouble s_fast = 0, s_ref = 0;
      gint fast, ref;

      if (sample == NULL) {
        CHECK (FALSE, "decoded %s as %s", photos[p], fmts[f]);
        continue;
      }
      fast = element_top1 (sample, model, TRUE, &s_fast);
      ref = element_top1 (sample, model, FALSE, &s_ref);
      CHECK (fast >= 0 && fast == ref, "%s as %s: top-1 %d (%.4f) with the "
          "fast path = %d (%.4f) with GstVideoConverter", photos[p], fmts[f],
          fast, s_fast, ref, s_ref);
      gst_sample_unref (sample);
    }
    g_free (img);
  }
  g_free (model);
}

/* The fast path with MOBILENET_FORCE_C set (portable passes) and
 * without (the AVX2 twins where the CPU has it): byte-identical output
 * for every format, the sizes above (padded strides included) plus odd
 * output sizes, every scale mode, on random bytes (every value of the
 * vertical sums' range is reachable). */
static GstBuffer *
fast_convert_once (const GstVideoInfo *info, GstBuffer *src,
    const GstVideoInfo *out_info, GstMobilenetScaleMode mode, gboolean force_c)
{
  GstMobilenetFastConvert *fast;
  GstBuffer *out;
  GstVideoFrame in, o;

  if (force_c)
    g_setenv ("MOBILENET_FORCE_C", "1", TRUE);
  fast = gst_mobilenet_fast_convert_new (info, out_info, mode);
  g_unsetenv ("MOBILENET_FORCE_C");
  if (fast == NULL)
    return NULL;
  out = gst_buffer_new_allocate (NULL, out_info->size, NULL);
  /* the same bytes in the rows' padding, which neither pass writes */
  gst_buffer_memset (out, 0, 0x5a, out_info->size);
  gst_video_frame_map (&in, (GstVideoInfo *) info, src, GST_MAP_READ);
  gst_video_frame_map (&o, (GstVideoInfo *) out_info, out, GST_MAP_WRITE);
  gst_mobilenet_fast_convert_frame (fast, &in, &o);
  gst_video_frame_unmap (&o);
  gst_video_frame_unmap (&in);
  gst_mobilenet_fast_convert_free (fast);
  return out;
}

static void
check_simd_twin (void)
{
  static const gint outs[][2] = { {OUT_W, OUT_H}, {1, 1}, {37, 5}, {129, 96} };
  GRand *rand = g_rand_new_with_seed (2026);
  guint cases = 0, same = 0;

  __builtin_cpu_init ();
  if (!__builtin_cpu_supports ("avx2"))
    printf ("# this CPU has no AVX2: both runs use the portable pass\n");
  for (gsize f = 0; f < G_N_ELEMENTS (formats); f++) {
    for (gsize z = 0; z < G_N_ELEMENTS (sizes); z++) {
      GstVideoInfo info;
      GstBuffer *src;
      GstMapInfo map;

      source_info (&info, formats[f], sizes[z].w, sizes[z].h, sizes[z].pad);
      src = gst_buffer_new_allocate (NULL, info.size, NULL);
      gst_buffer_map (src, &map, GST_MAP_WRITE);
      for (gsize i = 0; i < map.size; i++)
        map.data[i] = (guint8) g_rand_int (rand);
      gst_buffer_unmap (src, &map);
      for (gsize o = 0; o < G_N_ELEMENTS (outs); o++) {
        GstVideoInfo out_info;

        gst_mobilenet_preprocess_rgb_info (&out_info, outs[o][0], outs[o][1]);
        for (gint mode = 0; mode < 3; mode++) {
          GstBuffer *c = fast_convert_once (&info, src, &out_info, mode, TRUE);
          GstBuffer *v = fast_convert_once (&info, src, &out_info, mode, FALSE);
          gboolean equal = FALSE;

          if (c != NULL && v != NULL) {
            GstMapInfo cm;

            gst_buffer_map (c, &cm, GST_MAP_READ);
            equal = gst_buffer_memcmp (v, 0, cm.data, cm.size) == 0;
            gst_buffer_unmap (c, &cm);
          }
          cases++;
          same += equal;
          if (!equal)
            CHECK (FALSE, "%s %dx%d%s -> %dx%d %s: the AVX2 and portable "
                "passes differ",
                gst_video_format_to_string (formats[f]), sizes[z].w,
                sizes[z].h, sizes[z].pad ? " padded" : "", outs[o][0],
                outs[o][1], mode_names[mode]);
          if (c)
            gst_buffer_unref (c);
          if (v)
            gst_buffer_unref (v);
        }
      }
      gst_buffer_unref (src);
    }
  }
  CHECK (same == cases, "AVX2 and portable passes byte-identical in %u/%u "
      "cases", same, cases);
  g_rand_free (rand);
}

static gint n_selected;
static gchar **selected;

/* Usage: test-fast-convert [CHECK...]: all checks, or the named ones (the
 * valgrind suite runs the small-frame ones). */
static gboolean
wanted (const gchar *name)
{
  if (n_selected == 0)
    return TRUE;
  for (gint i = 0; i < n_selected; i++)
    if (strcmp (selected[i], name) == 0)
      return TRUE;
  return FALSE;
}

int
main (int argc, char **argv)
{
  GstSample *photo, *photo_1080;
  gchar *path, *path_1080;

  eu_init (&argc, &argv);
  n_selected = argc - 1;
  selected = argv + 1;
  path = eu_image ("cat.png");
  path_1080 = eu_image ("cat_1080p.jpg");
  photo = eu_decode_image (path, "RGB");
  photo_1080 = eu_decode_image (path_1080, "RGB");
  CHECK (photo != NULL && photo_1080 != NULL, "decoded %s and %s", path,
      path_1080);
  if (photo && photo_1080) {
    if (wanted ("fallback"))
      check_fallback ();
    if (wanted ("flat"))
      check_flat ();
    if (wanted ("crop-rect"))
      check_crop_rect ();
    if (wanted ("colorimetry"))
      check_colorimetry (photo);
    if (wanted ("photos"))
      check_photos (photo, photo_1080);
    if (wanted ("exact-matrix"))
      check_exact_matrix (photo, photo_1080);
    if (wanted ("flat-exact"))
      check_flat_exact ();
    if (wanted ("simd-twin"))
      check_simd_twin ();
    if (wanted ("long-spans"))
      check_long_spans ();
    printf ("# worst seen: photos shrinking RGB mean %.3f p99 %d max %d, "
        "YUV mean %.3f p99 %d max %d, YUV vs exact matrix mean %.3f p99 %d "
        "max %d; enlarging mean %.3f p99 %d max %d; flat YUV %d, RGB %d\n",
        worst_shrink_rgb.mean, worst_shrink_rgb.p99, worst_shrink_rgb.max,
        worst_shrink_yuv.mean, worst_shrink_yuv.p99, worst_shrink_yuv.max,
        worst_exact.mean, worst_exact.p99, worst_exact.max,
        worst_grow.mean, worst_grow.p99, worst_grow.max, worst_flat_yuv,
        worst_flat_rgb);
    if (wanted ("classification"))
      check_classification ();
  }
  if (photo)
    gst_sample_unref (photo);
  if (photo_1080)
    gst_sample_unref (photo_1080);
  g_free (path);
  g_free (path_1080);
  return eu_finish ();
}
