/* test_mobilenet_caps.c: every accepted format and odd sizes negotiate,
 * frames come out byte-identical with overlay=false, each carries the
 * classification meta; the properties' defaults, ranges and mutability. */
#include <gst/check/gstharness.h>
#include <math.h>

#include "elements_util.h"
#include "gstmobilenetmeta.h"

static const gchar *formats[] = {
  "RGB", "BGR", "RGBx", "BGRx", "xRGB", "xBGR", "RGBA", "BGRA", "ARGB",
  "ABGR", "I420", "YV12", "NV12", "NV21", "YUY2", "UYVY", "GRAY8",
};

static gchar *model;

/* Pushes one pattern frame of format x width x height through mobilenet;
 * checks that it comes out unchanged with a meta. */
static void
check_frame (const gchar *format, gint width, gint height,
    const gchar *options)
{
  GstHarness *h;
  GstVideoInfo info;
  GstBuffer *in, *ref, *out;
  GstCaps *caps;
  gchar *desc, *caps_str;
  gint id = -2;

  desc = g_strdup_printf ("mobilenet model=\"%s\" %s", model,
      options ? options : "");
  h = gst_harness_new_parse (desc);
  g_free (desc);
  caps_str = g_strdup_printf ("video/x-raw,format=%s,width=%d,height=%d,"
      "framerate=30/1", format, width, height);
  gst_harness_set_src_caps_str (h, caps_str);
  caps = gst_caps_from_string (caps_str);
  gst_video_info_from_caps (&info, caps);
  gst_caps_unref (caps);

  in = eu_pattern_buffer (&info, width * 7 + height);
  ref = gst_buffer_copy_deep (in);
  GST_BUFFER_PTS (in) = 0;
  out = gst_harness_push_and_pull (h, in);
  CHECK (out != NULL, "%s %dx%d: negotiated and got a buffer", format, width,
      height);
  if (out) {
    GstCaps *outcaps = gst_pad_get_current_caps (h->sinkpad);
    GstCaps *incaps = gst_caps_from_string (caps_str);

    CHECK (outcaps && gst_caps_is_equal (outcaps, incaps),
        "%s %dx%d: output caps = input caps", format, width, height);
    CHECK (eu_buffers_equal (out, ref), "%s %dx%d: output bytes identical",
        format, width, height);
    gboolean has = eu_meta_top1 (out, &id, NULL, NULL);

    CHECK (has && id >= 0 && id < 1001,
        "%s %dx%d: meta attached (class %d)", format, width, height, id);
    gst_caps_unref (incaps);
    if (outcaps)
      gst_caps_unref (outcaps);
    gst_buffer_unref (out);
  }
  gst_buffer_unref (ref);
  g_free (caps_str);
  gst_harness_teardown (h);
}

static void
check_refused_format (void)
{
  GstElement *e = gst_element_factory_make ("mobilenet", NULL);
  GstPad *sink = gst_element_get_static_pad (e, "sink");
  GstCaps *bad = gst_caps_from_string ("video/x-raw,format=v210,width=64,"
      "height=48,framerate=30/1");
  GstCaps *big = gst_caps_from_string ("video/x-raw,format=RGB,width=7681,"
      "height=48,framerate=30/1");
  GstCaps *templ = gst_pad_get_pad_template_caps (sink);

  CHECK (!gst_caps_can_intersect (templ, bad), "v210 is not accepted");
  CHECK (!gst_caps_can_intersect (templ, big), "7681 wide is not accepted");
  gst_caps_unref (templ);
  gst_caps_unref (bad);
  gst_caps_unref (big);
  gst_object_unref (sink);
  gst_object_unref (e);
}

static void
check_properties (void)
{
  GstElement *e = gst_element_factory_make ("mobilenet", NULL);
  gchar *m = NULL, *l = NULL;
  gint threads;
  guint top_k, interval;
  gdouble threshold, mean, std;
  gboolean overlay;
  gint scale, post;
  GParamSpec *p;

  g_object_get (e, "model", &m, "labels", &l, "threads", &threads,
      "top-k", &top_k, "threshold", &threshold, "inference-interval",
      &interval, "mean", &mean, "std", &std, "overlay", &overlay,
      "post-messages", &post, "scale-mode", &scale, NULL);
  CHECK (m == NULL && l == NULL, "model and labels default to NULL");
  CHECK (threads == 0 && top_k == 5 && threshold == 0.0 && interval == 1,
      "threads 0, top-k 5, threshold 0, inference-interval 1 by default");
  CHECK (isnan (mean) && isnan (std), "mean and std default to NaN (auto)");
  CHECK (!overlay && post == 2 && scale == 0,
      "overlay off, post-messages changes, scale-mode stretch by default");

  p = g_object_class_find_property (G_OBJECT_GET_CLASS (e), "top-k");
  CHECK (G_PARAM_SPEC_UINT (p)->minimum == 1 &&
      G_PARAM_SPEC_UINT (p)->maximum == 100, "top-k range is 1..100");
  CHECK (p->flags & GST_PARAM_MUTABLE_PLAYING, "top-k is mutable in PLAYING");
  p = g_object_class_find_property (G_OBJECT_GET_CLASS (e), "model");
  CHECK ((p->flags & GST_PARAM_MUTABLE_READY) &&
      !(p->flags & GST_PARAM_MUTABLE_PLAYING), "model is mutable in READY only");
  for (const gchar * const *n = (const gchar *[]) {"threshold",
        "inference-interval", "overlay", "post-messages", NULL}; *n; n++) {
    p = g_object_class_find_property (G_OBJECT_GET_CLASS (e), *n);
    CHECK (p && (p->flags & GST_PARAM_MUTABLE_PLAYING),
        "%s is mutable in PLAYING", *n);
  }
  for (const gchar * const *n = (const gchar *[]) {"labels", "threads",
        "scale-mode", "mean", "std", NULL}; *n; n++) {
    p = g_object_class_find_property (G_OBJECT_GET_CLASS (e), *n);
    CHECK (p && (p->flags & GST_PARAM_MUTABLE_READY) &&
        !(p->flags & GST_PARAM_MUTABLE_PLAYING), "%s is mutable in READY only",
        *n);
  }

  g_object_set (e, "scale-mode", 2, "mean", 1.0, NULL);
  g_object_get (e, "scale-mode", &scale, "mean", &mean, NULL);
  CHECK (scale == 2 && mean == 1.0, "scale-mode and mean can be set in NULL");
  g_free (m);
  g_free (l);
  gst_object_unref (e);
}

int
main (int argc, char **argv)
{
  eu_init (&argc, &argv);
  model = eu_model ("mobilenet_v1_0.25_128_quant.tflite");

  check_properties ();
  check_refused_format ();

  for (guint i = 0; i < G_N_ELEMENTS (formats); i++) {
    check_frame (formats[i], 64, 48, NULL);
    check_frame (formats[i], 13, 7, NULL);
  }
  check_frame ("I420", 3, 7, NULL);
  check_frame ("I420", 3, 7, "scale-mode=center-crop");
  check_frame ("NV12", 3, 7, "scale-mode=letterbox");
  check_frame ("RGB", 1, 1, NULL);
  check_frame ("I420", 1, 1, NULL);
  check_frame ("YUY2", 1, 1, "scale-mode=letterbox");
  check_frame ("GRAY8", 1, 1, "scale-mode=center-crop");
  check_frame ("BGRx", 7, 3, "scale-mode=center-crop");
  check_frame ("NV12", 7680, 4320, NULL);

  g_free (model);
  return eu_finish ();
}
