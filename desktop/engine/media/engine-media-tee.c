/* engine-media-tee.c
 *
 * GStreamer 1.22's tee copies the sink pad's sticky events to a new source
 * pad before it adds the pad to its list. A stream-start passing through in
 * between reaches neither, and the branch's first buffer then fails with
 * "Got data flow before stream-start event" — what a guest joining (or a
 * stream being forwarded) right as a stream begins would hit. Serialized
 * events and buffers pass the sink pad under its stream lock, so holding
 * that lock while the pad is made closes the gap.
 */
#include "engine-media-tee.h"

GstPad *
engine_media_tee_request_pad (GstElement *tee)
{
  g_autoptr(GstPad) sink = NULL;
  GstPad *pad;

  g_return_val_if_fail (GST_IS_ELEMENT (tee), NULL);

  sink = gst_element_get_static_pad (tee, "sink");
  g_return_val_if_fail (sink != NULL, NULL);
  GST_PAD_STREAM_LOCK (sink);
  pad = gst_element_request_pad_simple (tee, "src_%u");
  GST_PAD_STREAM_UNLOCK (sink);
  return pad;
}
