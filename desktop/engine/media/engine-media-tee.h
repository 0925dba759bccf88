/* engine-media-tee.h: a tee's new branch that is sure to start with the
 * stream's sticky events. */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

GstPad *engine_media_tee_request_pad (GstElement *tee);

G_END_DECLS
