/* async_worker.c: see async_worker.h. */
#include "async_worker.h"

struct _GstMobilenetWorker {
  GThread *thread;
  GMutex lock;
  GCond cond;                   /* pending, busy or stopping changed */
  gpointer pending;             /* the job waiting, or NULL */
  gboolean busy;                /* the thread is running a job */
  gboolean stopping;
  GQueue done;                  /* processed jobs, for reuse */
  GstMobilenetWorkerFunc func;
  gpointer user_data;
  GDestroyNotify job_free;
  guint64 processed, replaced;
};

static gpointer
worker_thread (gpointer data)
{
  GstMobilenetWorker *w = data;

  g_mutex_lock (&w->lock);
  for (;;) {
    gpointer job;

    while (w->pending == NULL && !w->stopping)
      g_cond_wait (&w->cond, &w->lock);
    if (w->stopping)
      break;
    job = w->pending;
    w->pending = NULL;
    w->busy = TRUE;
    g_mutex_unlock (&w->lock);

    w->func (job, w->user_data);

    g_mutex_lock (&w->lock);
    w->busy = FALSE;
    w->processed++;
    g_queue_push_tail (&w->done, job);
    g_cond_broadcast (&w->cond);
  }
  g_mutex_unlock (&w->lock);
  return NULL;
}

GstMobilenetWorker *
gst_mobilenet_worker_new (const gchar *name, GstMobilenetWorkerFunc func,
    gpointer user_data, GDestroyNotify job_free)
{
  GstMobilenetWorker *w = g_new0 (GstMobilenetWorker, 1);

  g_mutex_init (&w->lock);
  g_cond_init (&w->cond);
  g_queue_init (&w->done);
  w->func = func;
  w->user_data = user_data;
  w->job_free = job_free;
  w->thread = g_thread_new (name, worker_thread, w);
  return w;
}

void
gst_mobilenet_worker_free (GstMobilenetWorker *w)
{
  gpointer job;

  if (w == NULL)
    return;
  g_mutex_lock (&w->lock);
  w->stopping = TRUE;
  g_cond_broadcast (&w->cond);
  g_mutex_unlock (&w->lock);
  g_thread_join (w->thread);

  if (w->pending && w->job_free)
    w->job_free (w->pending);
  while ((job = g_queue_pop_head (&w->done)))
    if (w->job_free)
      w->job_free (job);
  g_cond_clear (&w->cond);
  g_mutex_clear (&w->lock);
  g_free (w);
}

gpointer
gst_mobilenet_worker_submit (GstMobilenetWorker *w, gpointer job)
{
  gpointer old;

  g_return_val_if_fail (job != NULL, NULL);

  g_mutex_lock (&w->lock);
  old = w->pending;
  w->pending = job;
  if (old)
    w->replaced++;
  g_cond_broadcast (&w->cond);
  g_mutex_unlock (&w->lock);
  return old;
}

gpointer
gst_mobilenet_worker_take_done (GstMobilenetWorker *w)
{
  gpointer job;

  g_mutex_lock (&w->lock);
  job = g_queue_pop_head (&w->done);
  g_mutex_unlock (&w->lock);
  return job;
}

void
gst_mobilenet_worker_flush (GstMobilenetWorker *w)
{
  g_mutex_lock (&w->lock);
  if (w->pending) {
    g_queue_push_tail (&w->done, w->pending);
    w->pending = NULL;
  }
  while (w->busy)
    g_cond_wait (&w->cond, &w->lock);
  g_mutex_unlock (&w->lock);
}

gboolean
gst_mobilenet_worker_wait_idle (GstMobilenetWorker *w, gint64 timeout_us)
{
  gint64 end = g_get_monotonic_time () + timeout_us;
  gboolean idle;

  g_mutex_lock (&w->lock);
  while ((w->pending || w->busy) && g_cond_wait_until (&w->cond, &w->lock,
          end));
  idle = !w->pending && !w->busy;
  g_mutex_unlock (&w->lock);
  return idle;
}

guint64
gst_mobilenet_worker_get_processed (GstMobilenetWorker *w)
{
  guint64 v;

  g_mutex_lock (&w->lock);
  v = w->processed;
  g_mutex_unlock (&w->lock);
  return v;
}

guint64
gst_mobilenet_worker_get_replaced (GstMobilenetWorker *w)
{
  guint64 v;

  g_mutex_lock (&w->lock);
  v = w->replaced;
  g_mutex_unlock (&w->lock);
  return v;
}
