/* test_mobilenet_results.c: what the element reports on real models and
 * photos: the meta and the bus message, agreement with the engine run
 * directly on the same scaled input, top-k, threshold, inference-interval
 * and scale-mode. */
#include <gst/check/gstharness.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "elements_util.h"
#include "engine_reference.h"
#include "gstmobilenetmeta.h"
#include "mobilenet.h"
#include "preprocess.h"

static const gchar *v2_models[] = {
  "mobilenet_v2_1.0_224_quant.tflite",
  "tf2_mobilenet_v2_1.0_224_ptq.tflite",
  "mobilenet_v2_1.0_224_float.tflite",
};

static const struct {
  const gchar *file;
  gint class_id;
} photos[] = {
  {"cat.png", 286}, {"bird.png", 20}, {"sunflower.png", 986},
  {"dragonfly.png", 320}, {"grace_hopper.png", 653},
};

static gchar *labels;

/* Runs one sample through "mobilenet <props>"; returns the output buffer
 * and, when @msg is given, the first "mobilenet" element message. */
static GstBuffer *
run_element (GstSample *sample, const gchar *props, GstStructure ** msg)
{
  GstHarness *h;
  GstBus *bus;
  GstBuffer *out;
  gchar *desc = g_strdup_printf ("mobilenet %s", props);

  h = gst_harness_new_parse (desc);
  g_free (desc);
  bus = gst_bus_new ();
  gst_element_set_bus (h->element, bus);
  gst_harness_set_src_caps (h, gst_caps_copy (gst_sample_get_caps (sample)));
  out = gst_harness_push_and_pull (h,
      gst_buffer_copy (gst_sample_get_buffer (sample)));
  if (msg) {
    GstMessage *m = gst_bus_pop_filtered (bus, GST_MESSAGE_ELEMENT);

    *msg = m ? gst_structure_copy (gst_message_get_structure (m)) : NULL;
    if (m)
      gst_message_unref (m);
  }
  gst_element_set_bus (h->element, NULL);
  gst_object_unref (bus);
  gst_harness_teardown (h);
  return out;
}

/* The engine's top-1 on @sample, scaled the way the element scales it. */
static gint
engine_top1 (const gchar *model_path, GstSample *sample,
    GstMobilenetScaleMode mode, gfloat *score)
{
  GstVideoInfo in_info;
  mn_config cfg;
  mn_model *m = NULL;
  mn_session *s = NULL;
  gint id = -1;

  mn_config_default (&cfg);
  gst_video_info_from_caps (&in_info, gst_sample_get_caps (sample));
  if (mn_model_load (model_path, &cfg, &m) == MN_OK &&
      mn_session_create (m, &cfg, &s) == MN_OK)
    id = engine_reference_top1 (m, s, &in_info, gst_sample_get_buffer (sample),
        mode, score);
  mn_session_destroy (&s);
  mn_model_unref (&m);
  return id;
}

static void
check_message (const GstStructure *s, gint want_id, const gchar *what)
{
  gint id = -1;
  const gchar *label = NULL;
  gdouble score = 0;
  guint64 ts = 1, rt = 1, st = 1;
  GstMobilenetClassScore c;

  CHECK (s && gst_structure_has_name (s, "mobilenet"),
      "%s: a \"mobilenet\" element message", what);
  if (!s)
    return;
  gst_mobilenet_structure_get_top1 (s, &id, &label, &score);
  CHECK (id == want_id, "%s: message class-id %d (want %d)", what, id,
      want_id);
  CHECK (label && *label, "%s: message label \"%s\"", what, label);
  CHECK (score > 0 && score <= 1, "%s: message score %.3f", what, score);
  CHECK (gst_structure_get_uint64 (s, "timestamp", &ts) && ts == 0 &&
      gst_structure_get_uint64 (s, "stream-time", &st) && st == 0 &&
      gst_structure_get_uint64 (s, "running-time", &rt) && rt == 0,
      "%s: message timestamp, stream-time and running-time are 0", what);
  CHECK (gst_mobilenet_structure_get_n_classes (s) == 5 &&
      gst_mobilenet_structure_get_class (s, 0, &c) && c.class_id == id &&
      gst_mobilenet_structure_get_class (s, 4, &c),
      "%s: message top-k holds 5 classes", what);
}

static void
check_meta (GstBuffer *out, const gchar *model_path, gint want_id,
    const gchar *want_label, const gchar *what)
{
  const GstStructure *s = out ? gst_buffer_get_mobilenet_meta (out) : NULL;
  gint id = -1;
  const gchar *label = NULL, *model = NULL;
  gdouble score = 0, prev = 2.0;
  gboolean reused = TRUE, sorted = TRUE;
  guint64 t = 0;
  GstMobilenetClassScore c;

  CHECK (s != NULL, "%s: meta on the output", what);
  if (!s)
    return;
  gst_mobilenet_structure_get_top1 (s, &id, &label, &score);
  CHECK (id == want_id, "%s: meta class-id %d (want %d)", what, id, want_id);
  if (want_label)
    CHECK (g_strcmp0 (label, want_label) == 0, "%s: meta label \"%s\"", what,
        label);
  model = gst_structure_get_string (s, "model");
  {
    gchar *want_base = g_path_get_basename (model_path);
    gchar *base = model ? g_path_get_basename (model) : NULL;

    CHECK (g_strcmp0 (base, want_base) == 0, "%s: meta model %s", what, model);
    g_free (base);
    g_free (want_base);
  }
  CHECK (gst_structure_get_boolean (s, "reused", &reused) && !reused,
      "%s: meta reused=FALSE", what);
  gst_structure_get_uint64 (s, "inference-time", &t);
  CHECK (t > 0,
      "%s: meta inference-time %" G_GUINT64_FORMAT " ns", what, t);
  for (guint i = 0; i < gst_mobilenet_structure_get_n_classes (s); i++) {
    if (!gst_mobilenet_structure_get_class (s, i, &c) || c.score > prev)
      sorted = FALSE;
    prev = c.score;
  }
  CHECK (gst_mobilenet_structure_get_n_classes (s) == 5 && sorted,
      "%s: meta top-k has 5 classes, best first", what);
}

static void
check_photos (void)
{
  for (guint p = 0; p < G_N_ELEMENTS (photos); p++) {
    gchar *img = eu_image (photos[p].file);
    GstSample *sample = eu_decode_image (img, "RGB");

    CHECK (sample != NULL, "decoded %s", photos[p].file);
    for (guint m = 0; sample && m < G_N_ELEMENTS (v2_models); m++) {
      gchar *model = eu_model (v2_models[m]);
      /* post-messages=all: the per-result "mobilenet" message */
      gchar *props = g_strdup_printf ("model=\"%s\" labels=\"%s\" "
          "post-messages=all", model, labels);
      gchar *what = g_strdup_printf ("%s / %s", photos[p].file, v2_models[m]);
      GstStructure *msg = NULL;
      GstBuffer *out = run_element (sample, props, p == 0 ? &msg : NULL);
      gint id = -1, want;
      gfloat score = 0;

      want = engine_top1 (model, sample, GST_MOBILENET_SCALE_MODE_STRETCH,
          &score);
      gboolean has = eu_meta_top1 (out, &id, NULL, NULL);

      gdouble escore = -1;

      eu_meta_top1 (out, NULL, NULL, &escore);
      CHECK (has && id == want && escore == (gdouble) score,
          "%s: element top-1 %d (%.6f) = engine top-1 %d (%.6f) on the same "
          "input", what, id, escore, want, score);
      if (p == 0) {
        /* the cat: class 286 with all three V2 models */
        check_meta (out, model, 286, "Egyptian cat", what);
        check_message (msg, 286, what);
      } else if (id != photos[p].class_id) {
        printf ("# %s: top-1 %d, the README says %d\n", what, id,
            photos[p].class_id);
      }
      if (msg)
        gst_structure_free (msg);
      gst_clear_buffer (&out);
      g_free (what);
      g_free (props);
      g_free (model);
    }
    if (sample)
      gst_sample_unref (sample);
    g_free (img);
  }
}

/* The other scale modes feed the engine what preprocess.c says, too. */
static void
check_scale_modes (void)
{
  static const struct {
    const gchar *nick;
    GstMobilenetScaleMode mode;
  } modes[] = {
    {"center-crop", GST_MOBILENET_SCALE_MODE_CENTER_CROP},
    {"letterbox", GST_MOBILENET_SCALE_MODE_LETTERBOX},
  };
  gchar *model = eu_model ("mobilenet_v2_1.0_224_quant.tflite");
  gchar *img = eu_image ("cat_720p.jpg");
  GstSample *sample = eu_decode_image (img, "I420");

  CHECK (sample != NULL, "decoded cat_720p.jpg as I420");
  for (guint i = 0; sample && i < G_N_ELEMENTS (modes); i++) {
    gchar *props = g_strdup_printf ("model=\"%s\" scale-mode=%s", model,
        modes[i].nick);
    GstBuffer *out = run_element (sample, props, NULL);
    gfloat score;
    gint id = -1, want = engine_top1 (model, sample, modes[i].mode, &score);
    gboolean has = eu_meta_top1 (out, &id, NULL, NULL);

    CHECK (has && id == want && id == 286,
        "cat_720p I420 scale-mode=%s: element %d = engine %d = 286",
        modes[i].nick, id, want);
    gst_clear_buffer (&out);
    g_free (props);
  }
  if (sample)
    gst_sample_unref (sample);
  g_free (img);
  g_free (model);
}

/* top-k, threshold and inference-interval, on the small V1 model. */
static void
check_reporting (void)
{
  gchar *model = eu_model ("mobilenet_v1_0.25_128_quant.tflite");
  gchar *img = eu_image ("cat.png");
  GstSample *sample = eu_decode_image (img, "RGB");
  GstHarness *h;
  GstBus *bus;
  GstBuffer *buf, *out;
  gchar *desc;
  const GstStructure *s;
  GstMobilenetClassScore c;
  gboolean reused, all_ok;
  gint n_msgs = 0, id0 = -1, id;
  GstMessage *m;
  GstElement *e;

  /* top-k=1 and 100 */
  for (guint k = 1; k <= 100; k += 99) {
    desc = g_strdup_printf ("model=\"%s\" top-k=%u", model, k);
    out = run_element (sample, desc, NULL);
    s = out ? gst_buffer_get_mobilenet_meta (out) : NULL;
    CHECK (s && gst_mobilenet_structure_get_n_classes (s) == k,
        "top-k=%u gives %u classes", k, k);
    gst_clear_buffer (&out);
    g_free (desc);
  }

  /* threshold=1: nothing scores that much (softmax over 1001) */
  desc = g_strdup_printf ("model=\"%s\" threshold=1.0", model);
  out = run_element (sample, desc, NULL);
  s = out ? gst_buffer_get_mobilenet_meta (out) : NULL;
  CHECK (s && gst_mobilenet_structure_get_n_classes (s) == 0 &&
      !gst_mobilenet_structure_get_top1 (s, &id, NULL, NULL) && id == -1,
      "threshold=1.0: no class, class-id -1, empty top-k");
  gst_clear_buffer (&out);
  g_free (desc);

  /* threshold=0.05: every reported score is >= 0.05 */
  desc = g_strdup_printf ("model=\"%s\" threshold=0.05 top-k=100", model);
  out = run_element (sample, desc, NULL);
  s = out ? gst_buffer_get_mobilenet_meta (out) : NULL;
  all_ok = s && gst_mobilenet_structure_get_n_classes (s) >= 1 &&
      gst_mobilenet_structure_get_n_classes (s) < 100;
  for (guint i = 0; s && i < gst_mobilenet_structure_get_n_classes (s); i++)
    if (!gst_mobilenet_structure_get_class (s, i, &c) || c.score < 0.05)
      all_ok = FALSE;
  CHECK (all_ok, "threshold=0.05: 1..99 classes, all scoring >= 0.05 (%u)",
      s ? gst_mobilenet_structure_get_n_classes (s) : 0);
  gst_clear_buffer (&out);
  g_free (desc);

  /* inference-interval=3 over 7 frames: frames 0, 3, 6 classified */
  desc = g_strdup_printf ("mobilenet name=mn model=\"%s\" "
      "inference-interval=3 post-messages=all", model);
  h = gst_harness_new_parse (desc);
  g_free (desc);
  bus = gst_bus_new ();
  gst_element_set_bus (h->element, bus);
  gst_harness_set_src_caps (h, gst_caps_copy (gst_sample_get_caps (sample)));
  all_ok = TRUE;
  for (gint i = 0; i < 7; i++) {
    buf = gst_buffer_copy (gst_sample_get_buffer (sample));
    GST_BUFFER_PTS (buf) = i * GST_SECOND / 30;
    out = gst_harness_push_and_pull (h, buf);
    s = out ? gst_buffer_get_mobilenet_meta (out) : NULL;
    if (!s || !gst_structure_get_boolean (s, "reused", &reused) ||
        reused != (i % 3 != 0) ||
        !gst_mobilenet_structure_get_top1 (s, &id, NULL, NULL)) {
      all_ok = FALSE;
      printf ("# frame %d: bad meta\n", i);
    } else if (i == 0) {
      id0 = id;
    } else if (id != id0) {
      all_ok = FALSE;
    }
    gst_clear_buffer (&out);
  }
  while ((m = gst_bus_pop_filtered (bus, GST_MESSAGE_ELEMENT))) {
    guint64 ts;

    if (gst_message_has_name (m, "mobilenet") &&
        gst_structure_get_uint64 (gst_message_get_structure (m), "timestamp",
            &ts) && ts == (guint64) (n_msgs * 3) * GST_SECOND / 30)
      n_msgs++;
    gst_message_unref (m);
  }
  CHECK (all_ok, "inference-interval=3: frames 0, 3, 6 reused=FALSE, the "
      "others reused=TRUE with the same class");
  CHECK (n_msgs == 3, "inference-interval=3: 3 messages for 7 frames, at "
      "frames 0, 3, 6 (%d)", n_msgs);

  /* mutable in PLAYING: top-k, post-messages */
  e = eu_harness_element (h, "mn");
  gst_util_set_object_arg (G_OBJECT (e), "post-messages", "none");
  g_object_set (e, "top-k", 2, "inference-interval", 1, NULL);
  gst_object_unref (e);
  buf = gst_buffer_copy (gst_sample_get_buffer (sample));
  out = gst_harness_push_and_pull (h, buf);
  s = out ? gst_buffer_get_mobilenet_meta (out) : NULL;
  CHECK (s && gst_mobilenet_structure_get_n_classes (s) == 2,
      "top-k changed to 2 while PLAYING applies to the next frame");
  m = gst_bus_pop_filtered (bus, GST_MESSAGE_ELEMENT);
  CHECK (m == NULL, "post-messages=none: no message");
  if (m)
    gst_message_unref (m);
  gst_clear_buffer (&out);
  gst_element_set_bus (h->element, NULL);
  gst_object_unref (bus);
  gst_harness_teardown (h);

  gst_sample_unref (sample);
  g_free (img);
  g_free (model);
}

static gchar *
meta_label (GstBuffer *out, gint *id, gdouble *score)
{
  const gchar *label = NULL;

  if (out == NULL || !eu_meta_top1 (out, id, &label, score))
    return g_strdup ("(no meta)");
  return g_strdup (label);
}

/* Scales a frame of three vertical bands (red, green, blue) with
 * preprocess.c and returns the RGB pixel at (x, y) of the 224x224 result. */
static guint32
preprocess_pixel (const gchar *format, gint w, gint h,
    GstMobilenetScaleMode mode, gint x, gint y)
{
  GstVideoInfo rgb_in, in, out;
  GstVideoFrame fa, fb, fc;
  GstBuffer *src, *conv_in, *dst;
  GstVideoConverter *to_fmt, *conv;
  const guint8 *p;
  guint32 px;

  /* draw the bands in RGB, convert to the tested format */
  gst_video_info_set_format (&rgb_in, GST_VIDEO_FORMAT_RGB, w, h);
  src = gst_buffer_new_allocate (NULL, rgb_in.size, NULL);
  gst_video_frame_map (&fa, &rgb_in, src, GST_MAP_WRITE);
  for (gint j = 0; j < h; j++)
    for (gint i = 0; i < w; i++) {
      guint8 *d = (guint8 *) GST_VIDEO_FRAME_PLANE_DATA (&fa, 0) +
          j * GST_VIDEO_FRAME_PLANE_STRIDE (&fa, 0) + i * 3;
      gint band = i * 3 / w;

      d[0] = band == 0 ? 255 : 0;
      d[1] = band == 1 ? 255 : 0;
      d[2] = band == 2 ? 255 : 0;
    }
  gst_video_info_set_format (&in, gst_video_format_from_string (format), w, h);
  conv_in = gst_buffer_new_allocate (NULL, in.size, NULL);
  gst_video_frame_map (&fb, &in, conv_in, GST_MAP_WRITE);
  to_fmt = gst_video_converter_new (&rgb_in, &in, NULL);
  gst_video_converter_frame (to_fmt, &fa, &fb);
  gst_video_converter_free (to_fmt);
  gst_video_frame_unmap (&fa);
  gst_video_frame_unmap (&fb);

  gst_mobilenet_preprocess_rgb_info (&out, 224, 224);
  conv = gst_mobilenet_preprocess_new (&in, &out, mode);
  dst = gst_buffer_new_allocate (NULL, out.size, NULL);
  gst_buffer_memset (dst, 0, 0x55, out.size);
  gst_video_frame_map (&fb, &in, conv_in, GST_MAP_READ);
  gst_video_frame_map (&fc, &out, dst, GST_MAP_READWRITE);
  gst_video_converter_frame (conv, &fb, &fc);
  p = (const guint8 *) GST_VIDEO_FRAME_PLANE_DATA (&fc, 0) +
      y * GST_VIDEO_FRAME_PLANE_STRIDE (&fc, 0) + x * 3;
  px = (p[0] << 16) | (p[1] << 8) | p[2];
  gst_video_frame_unmap (&fb);
  gst_video_frame_unmap (&fc);
  gst_video_converter_free (conv);
  gst_buffer_unref (src);
  gst_buffer_unref (conv_in);
  gst_buffer_unref (dst);
  return px;
}

/* A colour is "near" when each channel is within 40 (chroma subsampling
 * and limited-range YUV blur the bands' edges a little). */
static gboolean
near (guint32 a, guint32 b)
{
  for (gint sh = 0; sh <= 16; sh += 8)
    if (ABS ((gint) ((a >> sh) & 0xff) - (gint) ((b >> sh) & 0xff)) > 40)
      return FALSE;
  return TRUE;
}

static void
check_preprocess (void)
{
  static const gchar *fmts[] = { "RGB", "I420", "NV12", "YUY2", "BGRx" };

  for (guint i = 0; i < G_N_ELEMENTS (fmts); i++) {
    guint32 a, b, c;

    /* stretch: the three bands side by side */
    a = preprocess_pixel (fmts[i], 600, 200, GST_MOBILENET_SCALE_MODE_STRETCH,
        30, 112);
    b = preprocess_pixel (fmts[i], 600, 200, GST_MOBILENET_SCALE_MODE_STRETCH,
        112, 112);
    c = preprocess_pixel (fmts[i], 600, 200, GST_MOBILENET_SCALE_MODE_STRETCH,
        200, 112);
    CHECK (near (a, 0xff0000) && near (b, 0x00ff00) && near (c, 0x0000ff),
        "%s stretch: red, green, blue bands (%06x %06x %06x)", fmts[i], a, b,
        c);
    /* center-crop of 600x200: only the middle 200x200, all green */
    a = preprocess_pixel (fmts[i], 600, 200,
        GST_MOBILENET_SCALE_MODE_CENTER_CROP, 2, 112);
    b = preprocess_pixel (fmts[i], 600, 200,
        GST_MOBILENET_SCALE_MODE_CENTER_CROP, 221, 112);
    CHECK (near (a, 0x00ff00) && near (b, 0x00ff00),
        "%s center-crop: the centre band fills the input (%06x %06x)",
        fmts[i], a, b);
    /* letterbox of 600x200: 224x75 in the middle, black above and below */
    a = preprocess_pixel (fmts[i], 600, 200,
        GST_MOBILENET_SCALE_MODE_LETTERBOX, 112, 10);
    b = preprocess_pixel (fmts[i], 600, 200,
        GST_MOBILENET_SCALE_MODE_LETTERBOX, 112, 112);
    c = preprocess_pixel (fmts[i], 600, 200,
        GST_MOBILENET_SCALE_MODE_LETTERBOX, 112, 215);
    CHECK (a == 0 && near (b, 0x00ff00) && c == 0,
        "%s letterbox: black bars, picture in the middle (%06x %06x %06x)",
        fmts[i], a, b, c);
  }
}

/* Label sources and the background offset, and mean/std for float
 * models, on the small V1 models. */
static void
check_labels_and_norm (void)
{
  gchar *quant = eu_model ("mobilenet_v1_0.25_128_quant.tflite");
  gchar *flt = eu_model ("mobilenet_v1_0.25_128_float.tflite");
  gchar *img = eu_image ("cat.png");
  GstSample *sample = eu_decode_image (img, "RGB");
  gchar *dir = g_dir_make_tmp ("mobilenet-labels-XXXXXX", NULL);
  gchar *link1 = g_build_filename (dir, "model.tflite", NULL);
  gchar *labels1 = g_build_filename (dir, "labels.txt", NULL);
  gchar *link2 = g_build_filename (dir, "other_model.tflite", NULL);
  gchar *labels2 = g_build_filename (dir, "other_model.txt", NULL);
  gchar *contents = NULL, *props, *label, *nl;
  GstBuffer *out;
  gint id = -1, id_default = -1;
  gdouble score = 0, score_default = 0;

  /* embedded labels (the quantised models carry them) */
  props = g_strdup_printf ("model=\"%s\"", quant);
  out = run_element (sample, props, NULL);
  label = meta_label (out, &id, &score);
  CHECK (!g_str_has_prefix (label, "class "),
      "quantised model without labels=: embedded label \"%s\" (%d)", label, id);
  g_free (label);
  gst_clear_buffer (&out);
  g_free (props);

  /* no labels anywhere: "class N" */
  props = g_strdup_printf ("model=\"%s\"", flt);
  out = run_element (sample, props, NULL);
  label = meta_label (out, &id_default, &score_default);
  {
    gchar *want = g_strdup_printf ("class %d", id_default);

    CHECK (g_strcmp0 (label, want) == 0,
        "float model without any labels: \"%s\"", label);
    g_free (want);
  }
  g_free (label);
  gst_clear_buffer (&out);
  g_free (props);

  /* labels.txt beside the model (1001 lines) */
  g_file_get_contents (labels, &contents, NULL, NULL);
  g_file_set_contents (labels1, contents, -1, NULL);
  if (symlink (flt, link1) != 0)
    printf ("# symlink failed\n");
  props = g_strdup_printf ("model=\"%s\"", link1);
  out = run_element (sample, props, NULL);
  label = meta_label (out, &id, &score);
  CHECK (id == 286 && g_strcmp0 (label, "Egyptian cat") == 0,
      "labels.txt beside the model: %d \"%s\"", id, label);
  g_free (label);
  gst_clear_buffer (&out);
  g_free (props);

  /* <model name>.txt beside the model, 1000 lines without "background":
   * the model's 1001 classes are matched with an offset */
  nl = strchr (contents, '\n');
  g_file_set_contents (labels2, nl + 1, -1, NULL);
  if (symlink (flt, link2) != 0)
    printf ("# symlink failed\n");
  g_unlink (labels1);
  props = g_strdup_printf ("model=\"%s\"", link2);
  out = run_element (sample, props, NULL);
  label = meta_label (out, &id, &score);
  CHECK (id == 286 && g_strcmp0 (label, "Egyptian cat") == 0,
      "<model>.txt with 1000 labels for 1001 classes: %d \"%s\"", id, label);
  g_free (label);
  gst_clear_buffer (&out);
  g_free (props);

  /* mean/std: the defaults (127.5/127.5) given explicitly change nothing;
   * others change the float model's scores */
  props = g_strdup_printf ("model=\"%s\" mean=127.5 std=127.5", flt);
  out = run_element (sample, props, NULL);
  g_free (meta_label (out, &id, &score));
  CHECK (id == id_default && score == score_default,
      "float model, mean=127.5 std=127.5 = automatic (%d %.6f)", id, score);
  gst_clear_buffer (&out);
  g_free (props);
  props = g_strdup_printf ("model=\"%s\" mean=0 std=255", flt);
  out = run_element (sample, props, NULL);
  g_free (meta_label (out, &id, &score));
  CHECK (score != score_default,
      "float model, mean=0 std=255 changes the scores (%.6f vs %.6f)", score,
      score_default);
  gst_clear_buffer (&out);
  g_free (props);

  g_unlink (link1);
  g_unlink (link2);
  g_unlink (labels2);
  g_rmdir (dir);
  g_free (contents);
  g_free (link1);
  g_free (link2);
  g_free (labels1);
  g_free (labels2);
  g_free (dir);
  gst_sample_unref (sample);
  g_free (img);
  g_free (flt);
  g_free (quant);
}

/* Usage: test-mobilenet-results [CHECK...]: all checks, or the named ones
 * (the valgrind suite runs a few: the photos are slow under memcheck). */
int
main (int argc, char **argv)
{
  static const struct { const char *name; void (*fn) (void); } checks[] = {
    { "preprocess", check_preprocess },
    { "photos", check_photos },
    { "scale-modes", check_scale_modes },
    { "reporting", check_reporting },
    { "labels-and-norm", check_labels_and_norm },
  };

  eu_init (&argc, &argv);
  labels = eu_labels ();
  for (gsize i = 0; i < G_N_ELEMENTS (checks); i++) {
    gboolean wanted = argc < 2;
    for (gint a = 1; a < argc; a++)
      wanted |= strcmp (argv[a], checks[i].name) == 0;
    if (wanted)
      checks[i].fn ();
  }
  g_free (labels);
  return eu_finish ();
}
