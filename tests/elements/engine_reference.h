/* engine_reference.h: what the element should report for a frame, from
 * the engine directly, for the element tests to compare against. */
#ifndef ENGINE_REFERENCE_H
#define ENGINE_REFERENCE_H

#include <gst/video/video.h>

#include "mobilenet.h"
#include "preprocess.h"

/* The top-1 class of @session (for @model) on @buf, a frame of @in_info,
 * scaled under @mode the way the element does: the fused fast path where
 * it applies (and GST_MOBILENET_FAST_CONVERT allows), else
 * GstVideoConverter.  Its score to @score; -1 on failure. */
gint engine_reference_top1 (mn_model *model, mn_session *session,
    const GstVideoInfo *in_info, GstBuffer *buf, GstMobilenetScaleMode mode,
    gfloat *score);

#endif /* ENGINE_REFERENCE_H */
