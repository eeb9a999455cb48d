/* preprocess.c: the GstVideoConverter that turns a frame into the model's
 * input (stretch, centre crop or letterbox). */
#ifdef HAVE_CONFIG_H
# include "config.h"
#endif

#include "preprocess.h"

void
gst_mobilenet_preprocess_rgb_info (GstVideoInfo *out_info, gint width,
    gint height)
{
  gst_video_info_set_format (out_info, GST_VIDEO_FORMAT_RGB, width, height);
}

/* Rounds a source offset down to the format's chroma grid so that crops
 * start on a whole chroma sample. */
static gint
align_down (gint v, guint sub)
{
  return (v >> sub) << sub;
}

void
gst_mobilenet_preprocess_rects (const GstVideoInfo *in_info, gint out_width,
    gint out_height, GstMobilenetScaleMode mode, GstVideoRectangle *src,
    GstVideoRectangle *dest)
{
  const GstVideoFormatInfo *finfo = in_info->finfo;
  gint iw = GST_VIDEO_INFO_WIDTH (in_info);
  gint ih = GST_VIDEO_INFO_HEIGHT (in_info);
  gint ow = out_width, oh = out_height;

  src->x = src->y = 0;
  src->w = iw;
  src->h = ih;
  dest->x = dest->y = 0;
  dest->w = ow;
  dest->h = oh;

  switch (mode) {
    case GST_MOBILENET_SCALE_MODE_CENTER_CROP:{
      /* Keep the model's aspect ratio: the largest centred source rect of
       * that shape (i.e. scale the short side, crop the long one). */
      gint cw = iw, ch = ih;

      if ((gint64) iw * oh > (gint64) ih * ow)
        cw = CLAMP ((gint) (((gint64) ih * ow + oh / 2) / oh), 1, iw);
      else
        ch = CLAMP ((gint) (((gint64) iw * oh + ow / 2) / ow), 1, ih);
      /* interlaced: at least a line per field, or GstVideoConverter
       * asserts (a frame only 1 pixel wide crops to 1 line) */
      if (GST_VIDEO_INFO_IS_INTERLACED (in_info) && ch < 2)
        ch = MIN (2, ih);
      src->x = align_down ((iw - cw) / 2,
          GST_VIDEO_FORMAT_INFO_W_SUB (finfo, 1));
      src->y = align_down ((ih - ch) / 2,
          GST_VIDEO_FORMAT_INFO_H_SUB (finfo, 1));
      src->w = cw;
      src->h = ch;
      break;
    }
    case GST_MOBILENET_SCALE_MODE_LETTERBOX:{
      /* The whole frame at its own aspect ratio, centred on black. */
      gint dw = ow, dh = oh;

      if ((gint64) iw * oh > (gint64) ih * ow)
        dh = CLAMP ((gint) (((gint64) ih * ow + iw / 2) / iw), 1, oh);
      else
        dw = CLAMP ((gint) (((gint64) iw * oh + ih / 2) / ih), 1, ow);
      dest->x = (ow - dw) / 2;
      dest->y = (oh - dh) / 2;
      dest->w = dw;
      dest->h = dh;
      break;
    }
    case GST_MOBILENET_SCALE_MODE_STRETCH:
    default:
      break;
  }
}

GstVideoConverter *
gst_mobilenet_preprocess_new (const GstVideoInfo *in_info,
    const GstVideoInfo *out_info, GstMobilenetScaleMode mode)
{
  gint iw = GST_VIDEO_INFO_WIDTH (in_info);
  gint ih = GST_VIDEO_INFO_HEIGHT (in_info);
  gint ow = GST_VIDEO_INFO_WIDTH (out_info);
  gint oh = GST_VIDEO_INFO_HEIGHT (out_info);
  GstVideoInfo in = *in_info, out = *out_info;
  GstVideoRectangle src, dest;
  GstStructure *opts;

  g_return_val_if_fail (iw > 0 && ih > 0 && ow > 0 && oh > 0, NULL);

  /* The model sees a whole (woven) frame: scaling the fields separately
   * buys nothing for classification, and GstVideoConverter asserts on
   * fields of a line or two. */
  in.interlace_mode = GST_VIDEO_INTERLACE_MODE_PROGRESSIVE;
  out.interlace_mode = GST_VIDEO_INTERLACE_MODE_PROGRESSIVE;
  out.fps_n = in_info->fps_n;
  out.fps_d = in_info->fps_d;

  opts = gst_structure_new ("GstVideoConverter",
      GST_VIDEO_CONVERTER_OPT_RESAMPLER_METHOD, GST_TYPE_VIDEO_RESAMPLER_METHOD,
      GST_VIDEO_RESAMPLER_METHOD_LINEAR,
      GST_VIDEO_CONVERTER_OPT_CHROMA_RESAMPLER_METHOD,
      GST_TYPE_VIDEO_RESAMPLER_METHOD, GST_VIDEO_RESAMPLER_METHOD_LINEAR,
      GST_VIDEO_CONVERTER_OPT_DITHER_METHOD, GST_TYPE_VIDEO_DITHER_METHOD,
      GST_VIDEO_DITHER_NONE, NULL);

  gst_mobilenet_preprocess_rects (in_info, ow, oh, mode, &src, &dest);
  switch (mode) {
    case GST_MOBILENET_SCALE_MODE_CENTER_CROP:
      gst_structure_set (opts,
          GST_VIDEO_CONVERTER_OPT_SRC_X, G_TYPE_INT, src.x,
          GST_VIDEO_CONVERTER_OPT_SRC_Y, G_TYPE_INT, src.y,
          GST_VIDEO_CONVERTER_OPT_SRC_WIDTH, G_TYPE_INT, src.w,
          GST_VIDEO_CONVERTER_OPT_SRC_HEIGHT, G_TYPE_INT, src.h, NULL);
      break;
    case GST_MOBILENET_SCALE_MODE_LETTERBOX:
      gst_structure_set (opts,
          GST_VIDEO_CONVERTER_OPT_DEST_X, G_TYPE_INT, dest.x,
          GST_VIDEO_CONVERTER_OPT_DEST_Y, G_TYPE_INT, dest.y,
          GST_VIDEO_CONVERTER_OPT_DEST_WIDTH, G_TYPE_INT, dest.w,
          GST_VIDEO_CONVERTER_OPT_DEST_HEIGHT, G_TYPE_INT, dest.h,
          GST_VIDEO_CONVERTER_OPT_FILL_BORDER, G_TYPE_BOOLEAN, TRUE,
          GST_VIDEO_CONVERTER_OPT_BORDER_ARGB, G_TYPE_UINT, 0xff000000u, NULL);
      break;
    case GST_MOBILENET_SCALE_MODE_STRETCH:
    default:
      break;
  }

  /* takes opts */
  return gst_video_converter_new (&in, &out, opts);
}
