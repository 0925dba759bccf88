/* omnilive-headless.c: the headless host as its own small binary, for the
 * media tests and benchmarks (the desktop app's `omnilive --headless` runs
 * the same function). */
#include "engine-media-headless.h"

int
main (int    argc,
      char **argv)
{
  return engine_headless_main (argc, argv);
}
