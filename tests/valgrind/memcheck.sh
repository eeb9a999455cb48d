#!/bin/sh
# memcheck.sh PROGRAM [ARGS...]: run an element test under valgrind
# memcheck; fails on any memory error and on definite or indirect leaks
# (GLib's suppressions plus gst.supp beside this script).
#
# - The plugin registry is built first, outside valgrind: a scan loads
#   every system plugin, a few of which leak in their own init; those are
#   not what this checks, and the scan is slow under valgrind.
# - --run-libc-freeres=no: at exit glibc's freeres unloads dlopen()ed
#   libraries, which orphans the caches GLib, Pango and fontconfig keep in
#   static variables, and memcheck would report them all as lost.
set -eu
here=$(dirname "$0")
gst-inspect-1.0 mobilenet > /dev/null
exec valgrind --tool=memcheck --run-libc-freeres=no \
  --leak-check=full --show-leak-kinds=definite,indirect \
  --errors-for-leak-kinds=definite,indirect --error-exitcode=1 \
  --num-callers=30 --track-origins=no \
  --suppressions=/usr/share/glib-2.0/valgrind/glib.supp \
  --suppressions="$here/gst.supp" "$@"
