/* convert_bench.c: the element's preprocessing, GstVideoConverter against
 * the fused fast path (gst-plugin/fast_convert.c), side by side in one
 * run: median time per frame into the model's 224x224 RGB input.
 *
 *   build/bench/convert_bench [iterations [case index]]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gst/gst.h>
#include <gst/video/video.h>

#include "preprocess.h"
#include "fast_convert.h"

/* ms of this thread's CPU time: the machine may be shared, and wall time
 * then counts the other processes' turns too */
static double
cpu_ms (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? -1 : x > y;
}

/* A photo-like frame: smooth gradients plus some noise, through
 * GstVideoConverter from RGB into @info's format. */
static GstBuffer *
make_frame (const GstVideoInfo *info)
{
  GstVideoInfo rgb;
  GstBuffer *src, *dst;
  GstVideoFrame in, out;
  GstVideoConverter *conv;
  gint w = GST_VIDEO_INFO_WIDTH (info), h = GST_VIDEO_INFO_HEIGHT (info);
  guint32 seed = 1;
  gint x, y;

  gst_video_info_set_format (&rgb, GST_VIDEO_FORMAT_RGB, w, h);
  src = gst_buffer_new_allocate (NULL, GST_VIDEO_INFO_SIZE (&rgb), NULL);
  dst = gst_buffer_new_allocate (NULL, GST_VIDEO_INFO_SIZE (info), NULL);
  gst_video_frame_map (&in, &rgb, src, GST_MAP_WRITE);
  for (y = 0; y < h; y++) {
    guint8 *p = (guint8 *) GST_VIDEO_FRAME_PLANE_DATA (&in, 0) +
        y * GST_VIDEO_FRAME_PLANE_STRIDE (&in, 0);
    for (x = 0; x < w; x++) {
      seed = seed * 1103515245u + 12345u;
      p[3 * x + 0] = (guint8) (x * 255 / w);
      p[3 * x + 1] = (guint8) (y * 255 / h);
      p[3 * x + 2] = (guint8) ((x + y) / 4 + ((seed >> 16) & 31));
    }
  }
  gst_video_frame_map (&out, info, dst, GST_MAP_WRITE);
  conv = gst_video_converter_new (&rgb, (GstVideoInfo *) info, NULL);
  gst_video_converter_frame (conv, &in, &out);
  gst_video_converter_free (conv);
  gst_video_frame_unmap (&out);
  gst_video_frame_unmap (&in);
  gst_buffer_unref (src);
  return dst;
}

int
main (int argc, char **argv)
{
  static const struct { GstVideoFormat f; gint w, h; } cases[] = {
    {GST_VIDEO_FORMAT_I420, 1920, 1080},
    {GST_VIDEO_FORMAT_NV12, 1920, 1080},
    {GST_VIDEO_FORMAT_I420, 640, 480},
    {GST_VIDEO_FORMAT_BGRx, 1920, 1080},
    {GST_VIDEO_FORMAT_RGB, 1920, 1080},
  };
  gint iters = argc > 1 ? atoi (argv[1]) : 100;
  gint only = argc > 2 ? atoi (argv[2]) : -1;   /* one case, for profiling */
  guint c;

  gst_init (&argc, &argv);
  if (iters < 1)
    iters = 1;
  printf ("median of %d, wall (cpu) ms per frame into 224x224 RGB\n", iters);
  printf ("%-6s %-10s %-9s %17s %17s %13s %8s\n", "format", "size", "mode",
      "converter", "fast", "speedup", "mean|d|");
  for (c = 0; c < G_N_ELEMENTS (cases); c++) {
    gint mode;

    for (mode = 0; mode < 3; mode++) {
      GstVideoInfo in_info, out_info;
      GstBuffer *in, *o1, *o2;
      GstVideoFrame fin, f1, f2;
      GstVideoConverter *conv;
      GstMobilenetFastConvert *fast;
      double *t1 = g_new (double, iters), *t2 = g_new (double, iters);
      double *c1 = g_new (double, iters), *c2 = g_new (double, iters);
      double sum = 0.0;
      gsize i, n;
      gint k;
      GstMapInfo m1, m2;

      if ((mode > 0 && c > 0) || (only >= 0 && only != (gint) c))
        break;                  /* the other modes for the first case only */
      gst_video_info_set_format (&in_info, cases[c].f, cases[c].w, cases[c].h);
      gst_mobilenet_preprocess_rgb_info (&out_info, 224, 224);
      in = make_frame (&in_info);
      o1 = gst_buffer_new_allocate (NULL, GST_VIDEO_INFO_SIZE (&out_info), NULL);
      o2 = gst_buffer_new_allocate (NULL, GST_VIDEO_INFO_SIZE (&out_info), NULL);
      conv = gst_mobilenet_preprocess_new (&in_info, &out_info, mode);
      fast = gst_mobilenet_fast_convert_new (&in_info, &out_info, mode);
      if (!conv || !fast) {
        fprintf (stderr, "no converter for case %u\n", c);
        return 1;
      }
      gst_video_frame_map (&fin, &in_info, in, GST_MAP_READ);
      gst_video_frame_map (&f1, &out_info, o1, GST_MAP_WRITE);
      gst_video_frame_map (&f2, &out_info, o2, GST_MAP_WRITE);
      /* interleaved, so both see the same machine load */
      for (k = 0; k < iters; k++) {
        gint64 a = g_get_monotonic_time ();
        double ca = cpu_ms ();
        gst_video_converter_frame (conv, &fin, &f1);
        gint64 b = g_get_monotonic_time ();
        double cb = cpu_ms ();
        gst_mobilenet_fast_convert_frame (fast, &fin, &f2);
        gint64 d = g_get_monotonic_time ();
        double cd = cpu_ms ();
        t1[k] = (b - a) / 1000.0;
        t2[k] = (d - b) / 1000.0;
        c1[k] = cb - ca;
        c2[k] = cd - cb;
      }
      gst_video_frame_unmap (&f2);
      gst_video_frame_unmap (&f1);
      gst_video_frame_unmap (&fin);
      qsort (t1, iters, sizeof (double), cmp_double);
      qsort (t2, iters, sizeof (double), cmp_double);
      qsort (c1, iters, sizeof (double), cmp_double);
      qsort (c2, iters, sizeof (double), cmp_double);
      gst_buffer_map (o1, &m1, GST_MAP_READ);
      gst_buffer_map (o2, &m2, GST_MAP_READ);
      n = m1.size;
      for (i = 0; i < n; i++)
        sum += abs ((int) m1.data[i] - (int) m2.data[i]);
      gst_buffer_unmap (o1, &m1);
      gst_buffer_unmap (o2, &m2);
      printf ("%-6s %4dx%-5d %-9s %7.3f (%7.3f) %7.3f (%7.3f) %5.1fx (%4.1fx) %7.3f\n",
          gst_video_format_to_string (cases[c].f), cases[c].w, cases[c].h,
          mode == 0 ? "stretch" : mode == 1 ? "crop" : "letterbox",
          t1[iters / 2], c1[iters / 2], t2[iters / 2], c2[iters / 2],
          t1[iters / 2] / t2[iters / 2], c1[iters / 2] / c2[iters / 2],
          sum / n);
      gst_video_converter_free (conv);
      gst_mobilenet_fast_convert_free (fast);
      gst_buffer_unref (in);
      gst_buffer_unref (o1);
      gst_buffer_unref (o2);
      g_free (t1);
      g_free (t2);
      g_free (c1);
      g_free (c2);
    }
  }
  gst_deinit ();
  return 0;
}
