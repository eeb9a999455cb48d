/* fuzz_element.c: the mobilenet element's frame path under GstHarness.
 *
 * Each input negotiates caps the element accepts (a format from its list,
 * 1..300 x 1..300, sometimes interlaced) and pushes a few frames laid out
 * as the input says: exact buffers, padded rows and planes described by a
 * GstVideoMeta, frames split over several memories, metas whose strides
 * and offsets are whatever the input says, and buffers smaller than the
 * caps promise.  The element must classify good frames and refuse bad ones
 * with an error (GST_FLOW_ERROR and an ERROR message), never read or write
 * outside a buffer.  GLib criticals are fatal here: a refused frame must
 * not reach a g_return_if_fail in GStreamer either.
 *
 * Input layout (missing bytes read as 0):
 *   u8 format, u16 width, u16 height, u8 flags (overlay, scale mode,
 *   interlaced, inference-interval, threshold), u8 frame count,
 *   per frame: u8 layout, u8 pad, u16 shrink, u8 x 4 per-plane extra
 *   stride, u16 x 4 per-plane extra offset; the rest fills the pixels.
 * The model (mobilenet_v1_0.25_128_quant.tflite from the shared folder) is
 * loaded once and shared through the element's model cache.
 */
#include <gst/check/gstharness.h>
#include <gst/video/video.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "gstmobilenet.h"

static const char *formats[] = {
  "RGB", "BGR", "RGBx", "BGRx", "xRGB", "xBGR", "RGBA", "BGRA", "ARGB",
  "ABGR", "I420", "YV12", "NV12", "NV21", "YUY2", "UYVY", "GRAY8",
};
#define N_FORMATS (sizeof formats / sizeof formats[0])

static gchar *model_path;
static GstElement *keeper;      /* holds the model in the element's cache */

static GstElement *
make_element (void)
{
  GstElement *e = gst_element_factory_make ("mobilenet", NULL);
  if (!e)
    abort ();
  g_object_set (e, "model", model_path, "threads", 1, NULL);
  return e;
}

static void
fatal_criticals (const gchar * domain, GLogLevelFlags level,
    const gchar * message, gpointer data)
{
  g_log_default_handler (domain, level, message, data);
  if (level & (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_ERROR))
    abort ();
}

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  gchar *registry;

  /* Hermetic: no plugin scanning, a registry of our own; the element is
   * compiled into this program and registered by hand. */
  g_setenv ("GST_PLUGIN_SYSTEM_PATH_1_0", "", TRUE);
  g_setenv ("GST_PLUGIN_PATH_1_0", "", TRUE);
  registry = g_strdup_printf ("%s/mn-fuzz-registry-%d.bin", g_get_tmp_dir (), (int) getpid ());
  g_setenv ("GST_REGISTRY_1_0", registry, TRUE);
  g_setenv ("GST_REGISTRY_FORK", "no", TRUE);
  g_free (registry);
  gst_init (argc, argv);
  /* abort(), not G_BREAKPOINT's SIGTRAP, so libFuzzer saves the input */
  g_log_set_default_handler (fatal_criticals, NULL);
  if (!GST_ELEMENT_REGISTER (mobilenet, NULL))
    abort ();

  model_path = g_build_filename (fz_shared_dir (), "models",
      "mobilenet_v1_0.25_128_quant.tflite", NULL);
  if (!g_file_test (model_path, G_FILE_TEST_IS_REGULAR)) {
    fprintf (stderr, "fuzz-element: missing %s: set MOBILENET_SHARED_DIR\n", model_path);
    exit (1);
  }
  keeper = make_element ();
  /* PAUSED activates the pads, which starts the transform (loads the
   * model); it stays in the cache while this element lives. */
  if (gst_element_set_state (keeper, GST_STATE_PAUSED) == GST_STATE_CHANGE_FAILURE)
    abort ();
  return 0;
}

static void
fill (guint8 *p, gsize n, fz_reader *r)
{
  guint32 x = 12345u + (guint32) n;
  for (gsize i = 0; i < n; i++) {
    if (r->n) {
      p[i] = (guint8) fz_u8 (r);
    } else {
      x = x * 1664525u + 1013904223u;
      p[i] = (guint8) (x >> 24);
    }
  }
}

typedef enum {
  LAYOUT_EXACT,          /* info.size bytes, no meta */
  LAYOUT_META_PADDED,    /* larger strides and gaps, a consistent meta */
  LAYOUT_SHORT,          /* fewer bytes than the caps promise, no meta */
  LAYOUT_META_SHORT,     /* a padded meta, then the buffer cut short */
  LAYOUT_META_RAW,       /* meta strides/offsets straight from the input */
  LAYOUT_SPLIT,          /* exact bytes over several memories */
  LAYOUT_META_SPLIT,     /* padded meta over several memories */
  LAYOUT_META_WRONG,     /* a meta of another size or format */
  N_LAYOUTS
} layout;

static GstBuffer *
make_buffer (const GstVideoInfo *info, fz_reader *r)
{
  layout lay = (layout) (fz_u8 (r) % N_LAYOUTS);
  guint pad = fz_u8 (r);
  guint shrink = fz_u16 (r);
  gint extra_stride[GST_VIDEO_MAX_PLANES];
  gsize extra_offset[GST_VIDEO_MAX_PLANES];
  gsize offset[GST_VIDEO_MAX_PLANES];
  gint stride[GST_VIDEO_MAX_PLANES];
  guint n_planes = GST_VIDEO_INFO_N_PLANES (info);
  gsize size = 0;
  GstBuffer *buf;
  GstMapInfo map;

  for (guint i = 0; i < 4; i++)
    extra_stride[i] = (gint) fz_u8 (r);
  for (guint i = 0; i < 4; i++)
    extra_offset[i] = fz_u16 (r) % 4096;

  for (guint i = 0; i < GST_VIDEO_MAX_PLANES; i++) {
    offset[i] = 0;
    stride[i] = 0;
  }
  if (lay == LAYOUT_EXACT || lay == LAYOUT_SHORT || lay == LAYOUT_SPLIT) {
    size = GST_VIDEO_INFO_SIZE (info);
  } else if (lay == LAYOUT_META_RAW) {
    /* whatever the input says, within a small buffer */
    for (guint i = 0; i < n_planes; i++) {
      stride[i] = (gint) (extra_stride[i] * 4) - (pad & 0x80 ? 600 : 0);
      offset[i] = extra_offset[i] * 8;
    }
    size = (gsize) (shrink % 65536) + 1;
  } else {
    /* consistent: each plane's rows extra_stride bytes longer, planes
     * apart by extra_offset bytes */
    gsize pos = pad;
    for (guint i = 0; i < n_planes; i++) {
      gint comp[GST_VIDEO_MAX_COMPONENTS];
      guint h;
      gst_video_format_info_component (info->finfo, i, comp);
      h = GST_VIDEO_FORMAT_INFO_SCALE_HEIGHT (info->finfo, comp[0],
          GST_VIDEO_INFO_FIELD_HEIGHT (info));
      stride[i] = GST_VIDEO_INFO_PLANE_STRIDE (info, i) + extra_stride[i];
      offset[i] = pos;
      pos += (gsize) stride[i] * h + extra_offset[i];
    }
    size = pos;
  }
  if (lay == LAYOUT_SHORT || lay == LAYOUT_META_SHORT)
    size = shrink % (size ? size : 1);

  if ((lay == LAYOUT_SPLIT || lay == LAYOUT_META_SPLIT) && size > 1) {
    gsize cut = 1 + shrink % (size - 1);
    GstBuffer *a = gst_buffer_new_allocate (NULL, cut, NULL);
    GstBuffer *b = gst_buffer_new_allocate (NULL, size - cut, NULL);
    buf = gst_buffer_append (a, b);
  } else {
    buf = gst_buffer_new_allocate (NULL, size, NULL);
  }
  if (size && gst_buffer_map (buf, &map, GST_MAP_WRITE)) {
    fill (map.data, map.size, r);
    gst_buffer_unmap (buf, &map);
  }

  switch (lay) {
    case LAYOUT_META_PADDED:
    case LAYOUT_META_SHORT:
    case LAYOUT_META_RAW:
    case LAYOUT_META_SPLIT:
      gst_buffer_add_video_meta_full (buf, GST_VIDEO_FRAME_FLAG_NONE,
          GST_VIDEO_INFO_FORMAT (info), GST_VIDEO_INFO_WIDTH (info),
          GST_VIDEO_INFO_HEIGHT (info), n_planes, offset, stride);
      break;
    case LAYOUT_META_WRONG:{
      /* another format or a smaller frame than the caps */
      GstVideoFormat f = (pad & 1) ? GST_VIDEO_FORMAT_GRAY8 : GST_VIDEO_INFO_FORMAT (info);
      GstVideoInfo other;
      gint w = GST_VIDEO_INFO_WIDTH (info), h = GST_VIDEO_INFO_HEIGHT (info);
      if (pad & 2)
        w = w > 1 ? w / 2 : 1;
      else
        h = h > 1 ? h / 2 : 1;
      gst_video_info_set_format (&other, f, w, h);
      gst_buffer_add_video_meta_full (buf, GST_VIDEO_FRAME_FLAG_NONE, f, w, h,
          GST_VIDEO_INFO_N_PLANES (&other), other.offset, other.stride);
      break;
    }
    default:
      break;
  }
  return buf;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  fz_reader r = { data, size };
  const char *format = formats[fz_u8 (&r) % N_FORMATS];
  gint width = 1 + (gint) (fz_u16 (&r) % 300);
  gint height = 1 + (gint) (fz_u16 (&r) % 300);
  guint flags = fz_u8 (&r);
  guint frames = 1 + fz_u8 (&r) % 4;
  GstHarness *h;
  GstElement *e;
  GstVideoInfo info;
  GstCaps *caps;
  gchar *caps_str;

  e = make_element ();
  g_object_set (e,
      "overlay", (gboolean) (flags & 1),
      "scale-mode", (gint) ((flags >> 1) & 3) % 3,
      "inference-interval", 1 + ((flags >> 4) & 1),
      "threshold", (flags & 0x20) ? 0.5 : 0.0,
      "top-k", 1 + (flags >> 6), NULL);
  h = gst_harness_new_with_element (e, "sink", "src");
  gst_object_unref (e);

  caps_str = g_strdup_printf ("video/x-raw,format=%s,width=%d,height=%d,"
      "framerate=30/1%s", format, width, height,
      (flags & 8) ? ",interlace-mode=interleaved" : "");
  caps = gst_caps_from_string (caps_str);
  g_free (caps_str);
  if (!gst_video_info_from_caps (&info, caps)) {
    gst_caps_unref (caps);
    gst_harness_teardown (h);
    return 0;
  }
  gst_harness_set_src_caps (h, caps);

  for (guint i = 0; i < frames; i++) {
    GstBuffer *buf = make_buffer (&info, &r);
    GstFlowReturn ret;

    GST_BUFFER_PTS (buf) = i * GST_SECOND / 30;
    GST_BUFFER_DURATION (buf) = GST_SECOND / 30;
    ret = gst_harness_push (h, buf);
    if (ret == GST_FLOW_OK) {
      GstBuffer *out = gst_harness_try_pull (h);
      if (out)
        gst_buffer_unref (out);
    }
  }
  gst_harness_teardown (h);
  return 0;
}
