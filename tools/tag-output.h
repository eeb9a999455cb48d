/* tag-output.h: mobilenet-tag's timeline of segments and what it writes
 * (JSON lines, CSV, WebVTT, a PNG drawn with Cairo).
 *
 * A segment is a maximal run of classified frames with the same stable
 * (smoothed) label: [start, end) in seconds from the start of the input,
 * the label and class id the element reported (a group name and index
 * with report=groups), the mean of the smoothed scores of its results and
 * the label's group, if any.
 * Plain C + GLib + Cairo, no GStreamer.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef __MOBILENET_TAG_OUTPUT_H__
#define __MOBILENET_TAG_OUTPUT_H__

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  gdouble start, end;           /* seconds */
  gint class_id;                /* -1: no class (below a threshold) */
  gchar *label;                 /* "" for class -1 */
  gchar *group;                 /* NULL: in no group / no groups file */
  gdouble score_sum;            /* mean score = score_sum / n_results */
  guint n_results;
} TagSegment;

typedef enum {
  TAG_FORMAT_JSONL,
  TAG_FORMAT_CSV,
  TAG_FORMAT_VTT,
} TagFormat;

/* "jsonl" (or "json"), "csv", "vtt"; FALSE for anything else. */
gboolean tag_format_from_name (const gchar *name, TagFormat *format);
/* The format a file name's extension says (.jsonl/.json/.csv/.vtt). */
gboolean tag_format_from_file_name (const gchar *path, TagFormat *format);
/* "jsonl", "csv", "vtt": the extension of per-file outputs. */
const gchar *tag_format_extension (TagFormat format);

/* A GArray of TagSegment that frees the strings of removed elements. */
GArray *tag_segments_new (void);
gdouble tag_segment_score (const TagSegment *s);

/* Merges each segment shorter than @min_seconds, shortest first, into a
 * neighbour: into both when they have the same label (the three become
 * one), else into the longer one, which keeps its label and mean score.
 * Ends with at least one segment; nothing happens for @min_seconds <= 0. */
void tag_segments_merge_short (GArray *segments, gdouble min_seconds);

/* The text before a segment (CSV's header line, "WEBVTT" and a blank line;
 * nothing for JSON lines) and one segment (@index counts from 1: the
 * WebVTT cue identifier); @file is the input as given. */
void tag_write_header (GString *out, TagFormat format);
void tag_write_segment (GString *out, TagFormat format, const gchar *file,
    const TagSegment *s, guint index);

/* HH:MM:SS.mmm (WebVTT's cue timing) */
void tag_format_vtt_time (GString *out, gdouble seconds);

/* Draws the segments as a WIDTH x HEIGHT PNG: a band coloured by label over
 * time 0..@total seconds (x = time), a time axis with ticks and a legend
 * of the labels' colours, under @title.  FALSE with @error when the file
 * cannot be written. */
gboolean tag_timeline_draw (const gchar *png, const TagSegment *segments,
    guint n, gdouble total, gint width, gint height, const gchar *title,
    GError **error);

G_END_DECLS

#endif /* __MOBILENET_TAG_OUTPUT_H__ */
