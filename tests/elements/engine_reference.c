/* engine_reference.c: see engine_reference.h. */
#include "engine_reference.h"

#include "fast_convert.h"

gint
engine_reference_top1 (mn_model *model, mn_session *session,
    const GstVideoInfo *in_info, GstBuffer *buf, GstMobilenetScaleMode mode,
    gfloat *score)
{
  GstVideoInfo rgb_info;
  GstVideoFrame in_frame, rgb_frame;
  GstMobilenetFastConvert *fast;
  GstBuffer *rgb;
  mn_model_info mi;
  mn_result r;
  mn_class_score top;
  gint id = -1;

  mn_model_get_info (model, &mi);
  gst_mobilenet_preprocess_rgb_info (&rgb_info, mi.input_width,
      mi.input_height);
  rgb = gst_buffer_new_allocate (NULL, rgb_info.size, NULL);
  gst_video_frame_map (&in_frame, (GstVideoInfo *) in_info, buf, GST_MAP_READ);
  gst_video_frame_map (&rgb_frame, &rgb_info, rgb, GST_MAP_WRITE);
  fast = gst_mobilenet_fast_convert_enabled () ?
      gst_mobilenet_fast_convert_new (in_info, &rgb_info, mode) : NULL;
  if (fast) {
    gst_mobilenet_fast_convert_frame (fast, &in_frame, &rgb_frame);
    gst_mobilenet_fast_convert_free (fast);
  } else {
    GstVideoConverter *conv = gst_mobilenet_preprocess_new (in_info,
        &rgb_info, mode);

    gst_video_converter_frame (conv, &in_frame, &rgb_frame);
    gst_video_converter_free (conv);
  }
  if (mn_session_run (session, GST_VIDEO_FRAME_PLANE_DATA (&rgb_frame, 0),
          GST_VIDEO_FRAME_PLANE_STRIDE (&rgb_frame, 0), &r) == MN_OK &&
      mn_result_top_k (&r, 1, &top) == 1) {
    id = top.class_id;
    *score = top.score;
  }
  gst_video_frame_unmap (&rgb_frame);
  gst_video_frame_unmap (&in_frame);
  gst_buffer_unref (rgb);
  return id;
}
