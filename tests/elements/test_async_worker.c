/* test_async_worker.c: the newest-frame-only worker
 * (gst-plugin/async_worker.c): newer jobs replace a waiting one, nothing
 * queues, flush and free stop cleanly. */
#include "unit_check.h"
#include "async_worker.h"

typedef struct {
  gint id;
} Job;

static GMutex lock;
static GArray *done_ids;
static gint sleep_us = 20000;
static gint alive;

static void
job_free (gpointer j)
{
  g_atomic_int_add (&alive, -1);
  g_free (j);
}

static Job *
job_new (gint id)
{
  Job *j = g_new0 (Job, 1);

  g_atomic_int_add (&alive, 1);
  j->id = id;
  return j;
}

static void
work (gpointer data, gpointer user_data)
{
  Job *j = data;

  g_usleep (sleep_us);
  g_mutex_lock (&lock);
  g_array_append_val (done_ids, j->id);
  g_mutex_unlock (&lock);
}

int
main (int argc, char **argv)
{
  GstMobilenetWorker *w;
  gint64 t0, longest = 0;
  gint replaced = 0, ordered = 1;
  Job *spare = NULL;

  done_ids = g_array_new (FALSE, FALSE, sizeof (gint));
  w = gst_mobilenet_worker_new ("test-worker", work, NULL, job_free);

  /* a producer at 1 kHz against a 20 ms worker: submit never waits */
  for (gint i = 0; i < 200; i++) {
    Job *j = spare ? spare : gst_mobilenet_worker_take_done (w), *old;
    gint64 dt;

    spare = NULL;
    if (j == NULL)
      j = job_new (i);
    j->id = i;
    t0 = g_get_monotonic_time ();
    old = gst_mobilenet_worker_submit (w, j);
    dt = g_get_monotonic_time () - t0;
    longest = MAX (longest, dt);
    if (old) {
      replaced++;
      if (spare == NULL)
        spare = old;
      else
        job_free (old);
    }
    g_usleep (1000);
  }
  CHECK (longest < 5000, "submit never waits for the worker (longest "
      "%" G_GINT64_FORMAT " us)", longest);
  CHECK (gst_mobilenet_worker_wait_idle (w, 2 * G_USEC_PER_SEC),
      "idle after the last job");
  g_mutex_lock (&lock);
  for (guint i = 1; i < done_ids->len; i++)
    if (g_array_index (done_ids, gint, i) <= g_array_index (done_ids, gint,
            i - 1))
      ordered = 0;
  CHECK (done_ids->len >= 5 && done_ids->len < 50 && ordered,
      "%u of 200 jobs processed, in order, newest only", done_ids->len);
  CHECK (g_array_index (done_ids, gint, done_ids->len - 1) == 199,
      "the last job submitted is processed");
  g_mutex_unlock (&lock);
  CHECK ((guint64) replaced == gst_mobilenet_worker_get_replaced (w) &&
      gst_mobilenet_worker_get_processed (w) == done_ids->len,
      "counters: %d replaced, %u processed", replaced, done_ids->len);
  CHECK (g_atomic_int_get (&alive) <= 4, "at most 4 jobs ever allocated "
      "(%d)", g_atomic_int_get (&alive));
  if (spare)
    job_free (spare);

  /* flush: drops the waiting job, waits for the running one */
  sleep_us = 100000;
  gst_mobilenet_worker_submit (w, job_new (1000));
  g_usleep (10000);
  gst_mobilenet_worker_submit (w, job_new (1001));
  t0 = g_get_monotonic_time ();
  gst_mobilenet_worker_flush (w);
  CHECK (g_get_monotonic_time () - t0 > 50000 &&
      gst_mobilenet_worker_wait_idle (w, 0), "flush waits for the running "
      "job and leaves nothing waiting");
  g_mutex_lock (&lock);
  CHECK (g_array_index (done_ids, gint, done_ids->len - 1) == 1000,
      "the waiting job was dropped, not run");
  g_mutex_unlock (&lock);

  /* free with a job waiting and one running: no hang, no leak */
  gst_mobilenet_worker_submit (w, job_new (2000));
  g_usleep (10000);
  gst_mobilenet_worker_submit (w, job_new (2001));
  t0 = g_get_monotonic_time ();
  gst_mobilenet_worker_free (w);
  CHECK (g_get_monotonic_time () - t0 < 500000, "free returns after the "
      "running job");
  CHECK (g_atomic_int_get (&alive) == 0, "every job freed (%d alive)",
      g_atomic_int_get (&alive));

  /* free an idle worker at once */
  w = gst_mobilenet_worker_new ("test-worker", work, NULL, job_free);
  gst_mobilenet_worker_free (w);
  CHECK (TRUE, "an idle worker stops");
  gst_mobilenet_worker_free (NULL);

  g_array_free (done_ids, TRUE);
  return uc_finish ();
}
