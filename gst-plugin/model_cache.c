/* model_cache.c: a process-wide, mutex-protected table of loaded models. */
#ifdef HAVE_CONFIG_H
# include "config.h"
#endif

#include "model_cache.h"

#include <gst/gst.h>
#include <stdlib.h>

GST_DEBUG_CATEGORY_STATIC (mobilenet_engine_debug);
#define GST_CAT_DEFAULT mobilenet_engine_debug

typedef struct {
  gchar *key;
  mn_model *model;
  guint users;
} CacheEntry;

static GMutex cache_lock;
static GHashTable *cache;       /* key -> CacheEntry*, under cache_lock */
static GPrivate last_error = G_PRIVATE_INIT (g_free);

void
gst_mobilenet_engine_debug_init (void)
{
  static gsize done = 0;

  if (g_once_init_enter (&done)) {
    GST_DEBUG_CATEGORY_INIT (mobilenet_engine_debug, "mobilenetengine", 0,
        "MobileNet inference engine");
    g_once_init_leave (&done, 1);
  }
}

void
gst_mobilenet_engine_log (void *user_data, mn_log_level level,
    const char *message)
{
  GObject *obj = user_data;
  GstDebugLevel gst_level;

  switch (level) {
    case MN_LOG_ERROR:
      gst_level = GST_LEVEL_ERROR;
      g_private_replace (&last_error, g_strdup (message));
      break;
    case MN_LOG_WARNING:
      gst_level = GST_LEVEL_WARNING;
      break;
    case MN_LOG_INFO:
      gst_level = GST_LEVEL_INFO;
      break;
    default:
      gst_level = GST_LEVEL_DEBUG;
      break;
  }
  GST_CAT_LEVEL_LOG (mobilenet_engine_debug, gst_level, obj, "%s", message);
}

gchar *
gst_mobilenet_engine_take_last_error (void)
{
  gchar *msg = g_private_get (&last_error);

  msg = g_strdup (msg);
  g_private_replace (&last_error, NULL);
  return msg;
}

mn_model *
gst_mobilenet_model_cache_acquire (const gchar *path, gchar **canonical_path,
    guint *n_users, mn_status *status, gchar **message)
{
  CacheEntry *entry;
  mn_config cfg;
  mn_model *model = NULL;
  mn_status st;
  gchar *canonical, *key;
  guint users = 0;
  char *real;

  gst_mobilenet_engine_debug_init ();

  real = realpath (path, NULL);
  canonical = g_strdup (real ? real : path);
  free (real);
  key = g_strdup (canonical);

  g_mutex_lock (&cache_lock);
  if (cache == NULL)
    cache = g_hash_table_new (g_str_hash, g_str_equal);

  entry = g_hash_table_lookup (cache, key);
  if (entry) {
    entry->users++;
    model = mn_model_ref (entry->model);
    GST_INFO ("sharing cached model %s (%u users)", key, entry->users);
    users = entry->users;
    g_free (key);
    goto done;
  }

  mn_config_default (&cfg);
  /* The model may keep its logger: give it no object, which could die
   * before the model does. */
  cfg.log = gst_mobilenet_engine_log;
  cfg.log_user_data = NULL;

  g_private_replace (&last_error, NULL);
  st = mn_model_load (canonical, &cfg, &model);
  if (st != MN_OK)
    goto load_failed;

  entry = g_new0 (CacheEntry, 1);
  entry->key = key;
  entry->model = model;       /* the cache's own reference */
  entry->users = 1;
  g_hash_table_insert (cache, entry->key, entry);
  model = mn_model_ref (model);
  GST_INFO ("loaded model %s into the cache", key);
  users = 1;

done:
  g_mutex_unlock (&cache_lock);
  if (canonical_path)
    *canonical_path = canonical;
  else
    g_free (canonical);
  if (n_users)
    *n_users = users;
  if (status)
    *status = MN_OK;
  if (message)
    *message = NULL;
  return model;

  /* ERRORS */
load_failed:
  {
    gchar *err = gst_mobilenet_engine_take_last_error ();

    g_mutex_unlock (&cache_lock);
    if (model)
      mn_model_unref (&model);
    if (n_users)
      *n_users = 0;
    if (status)
      *status = st;
    if (message)
      *message = err ? err : g_strdup_printf ("mn_model_load: %s: %s",
          canonical, mn_status_str (st));
    else
      g_free (err);
    if (canonical_path)
      *canonical_path = canonical;
    else
      g_free (canonical);
    g_free (key);
    return NULL;
  }
}

void
gst_mobilenet_model_cache_release (mn_model **model)
{
  GHashTableIter iter;
  CacheEntry *entry;
  mn_model *m;

  g_return_if_fail (model != NULL);
  m = *model;
  if (m == NULL)
    return;
  *model = NULL;

  g_mutex_lock (&cache_lock);
  if (cache) {
    g_hash_table_iter_init (&iter, cache);
    while (g_hash_table_iter_next (&iter, NULL, (gpointer *) & entry)) {
      if (entry->model != m)
        continue;
      if (--entry->users == 0) {
        GST_INFO ("dropping model %s from the cache", entry->key);
        g_hash_table_iter_remove (&iter);
        mn_model_unref (&entry->model);
        g_free (entry->key);
        g_free (entry);
      }
      break;
    }
    if (g_hash_table_size (cache) == 0) {
      g_hash_table_unref (cache);
      cache = NULL;
    }
  }
  g_mutex_unlock (&cache_lock);

  mn_model_unref (&m);          /* the caller's reference */
}

guint
gst_mobilenet_model_cache_size (void)
{
  guint n;

  g_mutex_lock (&cache_lock);
  n = cache ? g_hash_table_size (cache) : 0;
  g_mutex_unlock (&cache_lock);
  return n;
}
