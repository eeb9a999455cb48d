/* model_cache.h: one loaded model per file per process, shared by every
 * mobilenet element (models are immutable and thread-safe; sessions are
 * not, each element creates its own). */
#ifndef __GST_MOBILENET_MODEL_CACHE_H__
#define __GST_MOBILENET_MODEL_CACHE_H__

#include <glib.h>
#include "mobilenet.h"

G_BEGIN_DECLS

/* Returns a new reference to the model at @path (loading it on first use)
 * or NULL with *status and *message (free with g_free) set.  The cache is
 * keyed by the canonical path (normalization is per session, not per
 * model, so it does not matter here).  *canonical_path (free with g_free) is the file actually used. */
mn_model *gst_mobilenet_model_cache_acquire (const gchar *path,
    gchar **canonical_path, guint *n_users, mn_status *status,
    gchar **message);

/* Drops a reference taken with acquire(); the model is freed with its last
 * user.  Sets *model to NULL. */
void gst_mobilenet_model_cache_release (mn_model **model);

/* How many models the cache holds (for tests and debugging). */
guint gst_mobilenet_model_cache_size (void);

/* The engine's log callback: forwards to the "mobilenetengine" debug
 * category (with @user_data, a GObject or NULL, as the object) and
 * remembers the calling thread's last error for
 * gst_mobilenet_engine_take_last_error(). */
void gst_mobilenet_engine_log (void *user_data, mn_log_level level,
    const char *message);

/* The last error the engine reported on this thread (or NULL); clears it.
 * Free with g_free. */
gchar *gst_mobilenet_engine_take_last_error (void);

void gst_mobilenet_engine_debug_init (void);

G_END_DECLS

#endif /* __GST_MOBILENET_MODEL_CACHE_H__ */
