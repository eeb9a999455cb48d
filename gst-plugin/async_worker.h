/* async_worker.h: one thread that processes the newest job only.
 *
 * The producer submits jobs without waiting; at most one job waits: a new
 * one replaces it and the replaced one is handed back to the producer.
 * Finished jobs are kept for reuse (take_done), so a steady stream needs
 * three jobs at most: one processed, one waiting, one being filled.
 * Plain C + GLib, no GStreamer: tested by tests/elements/test_async_worker.c. */
#ifndef __GST_MOBILENET_ASYNC_WORKER_H__
#define __GST_MOBILENET_ASYNC_WORKER_H__

#include <glib.h>

G_BEGIN_DECLS

typedef struct _GstMobilenetWorker GstMobilenetWorker;

/* Runs in the worker thread, without any lock held. */
typedef void (*GstMobilenetWorkerFunc) (gpointer job, gpointer user_data);

/* Starts a thread named @name.  @job_free frees jobs left at the end. */
GstMobilenetWorker *gst_mobilenet_worker_new (const gchar *name,
    GstMobilenetWorkerFunc func, gpointer user_data, GDestroyNotify job_free);

/* Stops the thread (after the job in progress, if any; a waiting job is
 * dropped) and frees every job.  NULL is allowed. */
void gst_mobilenet_worker_free (GstMobilenetWorker *w);

/* Queues @job.  Returns the job it replaced, which was never processed
 * (the caller reuses or frees it), or NULL. */
gpointer gst_mobilenet_worker_submit (GstMobilenetWorker *w, gpointer job);

/* A processed job to fill again, or NULL. */
gpointer gst_mobilenet_worker_take_done (GstMobilenetWorker *w);

/* Drops the waiting job (kept for reuse) and waits until the job in
 * progress, if any, is finished. */
void gst_mobilenet_worker_flush (GstMobilenetWorker *w);

/* Waits until nothing is waiting or in progress, at most @timeout_us;
 * TRUE when idle. */
gboolean gst_mobilenet_worker_wait_idle (GstMobilenetWorker *w,
    gint64 timeout_us);

/* How many jobs were processed / replaced before being processed. */
guint64 gst_mobilenet_worker_get_processed (GstMobilenetWorker *w);
guint64 gst_mobilenet_worker_get_replaced (GstMobilenetWorker *w);

G_END_DECLS

#endif /* __GST_MOBILENET_ASYNC_WORKER_H__ */
