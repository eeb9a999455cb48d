/* plugin.c: the mobilenet plugin. */
#ifdef HAVE_CONFIG_H
# include "config.h"
#endif

#include <gst/gst.h>

#include "gstmobilenet.h"

#ifndef PACKAGE
# define PACKAGE "gst-mobilenet"
#endif
#ifndef VERSION
# define VERSION "0.1.0"
#endif

static gboolean
plugin_init (GstPlugin * plugin)
{
  return GST_ELEMENT_REGISTER (mobilenet, plugin);
}

GST_PLUGIN_DEFINE (GST_VERSION_MAJOR, GST_VERSION_MINOR, mobilenet,
    "MobileNet image classification on the CPU", plugin_init, VERSION,
    "LGPL", PACKAGE, "https://example.invalid/gst-mobilenet")
