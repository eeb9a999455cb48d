/* convert_bench.c: the element's preprocessing, GstVideoConverter against
 * the fused fast path (gst-plugin/fast_convert.c), side by side in one
 * run: median CPU time per frame into the model's 224x224 RGB input, for
 * GstVideoConverter, the fast path's portable C and its AVX2 twins, and,
 * given a model, one inference (1 thread) on the converted frame: the
 * share of inference the conversion costs.
 *
 *   build/bench/convert_bench [iterations [case index (-1: all) [MODEL]]]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gst/gst.h>
#include <gst/video/video.h>

#include "preprocess.h"
#include "fast_convert.h"
#include "mobilenet.h"

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

/* Median of @n values (sorts them). */
static double
median (double *v, gint n)
{
  qsort (v, n, sizeof (double), cmp_double);
  return v[n / 2];
}

/* The fast path, with or without its AVX2 twins (MOBILENET_FORCE_C). */
static GstMobilenetFastConvert *
fast_new (const GstVideoInfo *in_info, const GstVideoInfo *out_info, gint mode,
    gboolean portable)
{
  GstMobilenetFastConvert *fast;

  if (portable)
    g_setenv ("MOBILENET_FORCE_C", "1", TRUE);
  fast = gst_mobilenet_fast_convert_new (in_info, out_info, mode);
  g_unsetenv ("MOBILENET_FORCE_C");
  return fast;
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
  const gchar *model = argc > 3 ? argv[3] : NULL;
  mn_model *m = NULL;
  mn_session *s = NULL;
  mn_config cfg;
  guint c;

  gst_init (&argc, &argv);
  if (iters < 1)
    iters = 1;
  mn_config_default (&cfg);
  cfg.threads = 1;
  if (model && (mn_model_load (model, &cfg, &m) != MN_OK ||
          mn_session_create (m, &cfg, &s) != MN_OK)) {
    fprintf (stderr, "cannot load %s\n", model);
    return 1;
  }
  printf ("median of %d interleaved runs, CPU ms per frame into 224x224 RGB%s\n",
      iters, s ? "; inference: 1 thread, same frames" : "");
  printf ("%-6s %-10s %-9s %9s %9s %9s %6s %9s %8s\n", "format", "size", "mode",
      "converter", "fast C", "fast AVX2", "AVX2x", "inference", "fast/inf");
  for (c = 0; c < G_N_ELEMENTS (cases); c++) {
    gint mode;

    for (mode = 0; mode < 3; mode++) {
      GstVideoInfo in_info, out_info;
      GstBuffer *in, *out;
      GstVideoFrame fin, fout;
      GstVideoConverter *conv;
      GstMobilenetFastConvert *fast, *portable;
      double *t[4];
      double med[4];
      gint k, j;

      if ((mode > 0 && c > 0) || (only >= 0 && only != (gint) c))
        break;                  /* the other modes for the first case only */
      gst_video_info_set_format (&in_info, cases[c].f, cases[c].w, cases[c].h);
      gst_mobilenet_preprocess_rgb_info (&out_info, 224, 224);
      in = make_frame (&in_info);
      out = gst_buffer_new_allocate (NULL, GST_VIDEO_INFO_SIZE (&out_info), NULL);
      conv = gst_mobilenet_preprocess_new (&in_info, &out_info, mode);
      fast = fast_new (&in_info, &out_info, mode, FALSE);
      portable = fast_new (&in_info, &out_info, mode, TRUE);
      if (!conv || !fast || !portable) {
        fprintf (stderr, "no converter for case %u\n", c);
        return 1;
      }
      for (j = 0; j < 4; j++)
        t[j] = g_new0 (double, iters);
      gst_video_frame_map (&fin, &in_info, in, GST_MAP_READ);
      gst_video_frame_map (&fout, &out_info, out, GST_MAP_READWRITE);
      /* interleaved, so all see the same machine load */
      for (k = 0; k < iters; k++) {
        double a = cpu_ms (), b, d, e, f;
        mn_result r;

        gst_video_converter_frame (conv, &fin, &fout);
        b = cpu_ms ();
        gst_mobilenet_fast_convert_frame (portable, &fin, &fout);
        d = cpu_ms ();
        gst_mobilenet_fast_convert_frame (fast, &fin, &fout);
        e = cpu_ms ();
        if (s)
          mn_session_run (s, GST_VIDEO_FRAME_PLANE_DATA (&fout, 0),
              GST_VIDEO_FRAME_PLANE_STRIDE (&fout, 0), &r);
        f = cpu_ms ();
        t[0][k] = b - a;
        t[1][k] = d - b;
        t[2][k] = e - d;
        t[3][k] = f - e;
      }
      gst_video_frame_unmap (&fout);
      gst_video_frame_unmap (&fin);
      for (j = 0; j < 4; j++)
        med[j] = median (t[j], iters);
      printf ("%-6s %4dx%-5d %-9s %9.3f %9.3f %9.3f %5.1fx ",
          gst_video_format_to_string (cases[c].f), cases[c].w, cases[c].h,
          mode == 0 ? "stretch" : mode == 1 ? "crop" : "letterbox",
          med[0], med[1], med[2], med[1] / med[2]);
      if (s)
        printf ("%9.3f %7.1f%%\n", med[3], 100.0 * med[2] / med[3]);
      else
        printf ("%9s %8s\n", "-", "-");
      gst_video_converter_free (conv);
      gst_mobilenet_fast_convert_free (fast);
      gst_mobilenet_fast_convert_free (portable);
      gst_buffer_unref (in);
      gst_buffer_unref (out);
      for (j = 0; j < 4; j++)
        g_free (t[j]);
    }
  }
  mn_session_destroy (&s);
  mn_model_unref (&m);
  gst_deinit ();
  return 0;
}
