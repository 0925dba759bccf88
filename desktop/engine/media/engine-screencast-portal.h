/* engine-screencast-portal.h: screen sharing on Wayland through the
 * xdg-desktop-portal ScreenCast interface — asks the user (once, when a
 * restore token is kept) what to share and hands back a PipeWire fd and
 * stream node(s) that pipewiresrc can read. No GTK. */
#pragma once

#include <gio/gio.h>
#include <gst/gst.h>

G_BEGIN_DECLS

#define ENGINE_SCREENCAST_ERROR (engine_screencast_error_quark ())

typedef enum {
  /* The user dismissed the portal's dialog: not worth an error message. */
  ENGINE_SCREENCAST_ERROR_USER_CANCELLED,
  /* No portal on the session bus, or it has no ScreenCast interface. */
  ENGINE_SCREENCAST_ERROR_UNAVAILABLE,
  /* The portal answered "other error" (response 2 or an unknown code). */
  ENGINE_SCREENCAST_ERROR_FAILED,
  /* The portal did not answer within the object's timeout. */
  ENGINE_SCREENCAST_ERROR_TIMED_OUT,
  /* The portal closed the session while it was being set up. */
  ENGINE_SCREENCAST_ERROR_CLOSED,
  /* The portal's results were missing or malformed. */
  ENGINE_SCREENCAST_ERROR_INVALID_REPLY,
} EngineScreencastError;

GQuark engine_screencast_error_quark (void);

/* Values of the portal's SelectSources "types" bitmask. */
typedef enum /*< flags >*/ {
  ENGINE_SCREENCAST_SOURCE_MONITOR = 1 << 0,
  ENGINE_SCREENCAST_SOURCE_WINDOW  = 1 << 1,
} EngineScreencastSourceType;

/* Values of the portal's SelectSources "persist_mode" (version 4). */
typedef enum {
  ENGINE_SCREENCAST_PERSIST_NONE,        /* ask every time */
  ENGINE_SCREENCAST_PERSIST_TRANSIENT,   /* while this process runs */
  ENGINE_SCREENCAST_PERSIST_PERSISTENT,  /* until the user revokes it */
} EngineScreencastPersistMode;

GType engine_screencast_source_type_get_type  (void);
GType engine_screencast_persist_mode_get_type (void);
#define ENGINE_TYPE_SCREENCAST_SOURCE_TYPE  (engine_screencast_source_type_get_type ())
#define ENGINE_TYPE_SCREENCAST_PERSIST_MODE (engine_screencast_persist_mode_get_type ())

/* Where the shared screen comes from. */
typedef enum {
  ENGINE_SCREENCAST_BACKEND_TEST,      /* videotestsrc: headless, tests, OMNILIVE_FAKE_MEDIA */
  ENGINE_SCREENCAST_BACKEND_XIMAGESRC, /* X11 */
  ENGINE_SCREENCAST_BACKEND_PORTAL,    /* Wayland: this object + pipewiresrc */
} EngineScreencastBackend;

/* Decides from an environment (g_get_environ () style; NULL for the
 * process's own): OMNILIVE_FAKE_MEDIA (not "0") → test; OMNILIVE_SCREENCAST
 * = portal | ximagesrc | test forces one; then WAYLAND_DISPLAY → portal,
 * DISPLAY → ximagesrc, nothing → test. */
EngineScreencastBackend engine_screencast_choose_backend     (const char *const *envp);
const char             *engine_screencast_backend_to_string  (EngineScreencastBackend backend);

/* One PipeWire stream of a started session (the Start response's
 * "streams" entry). Sizes and positions are -1 when the portal left them out. */
typedef struct {
  guint32  node_id;
  guint    source_type;   /* EngineScreencastSourceType, 0 if not given */
  int      x, y;
  int      width, height;
} EngineScreencastStream;

/* The PipeWire client (and node) name of the screen stream. */
#define ENGINE_SCREENCAST_CLIENT_NAME "omnilive-screen-share"

/* "pipewiresrc fd=<fd> path=<node> … ! videoconvert": a source description
 * that gst_parse_launch accepts wherever "ximagesrc" was used. */
char *engine_screencast_source_description (int     fd,
                                            guint32 node_id);

#define ENGINE_TYPE_SCREENCAST_PORTAL (engine_screencast_portal_get_type ())
G_DECLARE_FINAL_TYPE (EngineScreencastPortal, engine_screencast_portal, ENGINE, SCREENCAST_PORTAL, GObject)

/* connection: the session bus to use, or NULL to get it when starting. */
EngineScreencastPortal *engine_screencast_portal_new          (GDBusConnection *connection);

/* CreateSession → SelectSources → Start (the user's choice) →
 * OpenPipeWireRemote. One start at a time; start again after _stop. */
void                    engine_screencast_portal_start_async  (EngineScreencastPortal *self,
                                                               GCancellable           *cancellable,
                                                               GAsyncReadyCallback     callback,
                                                               gpointer                user_data);
gboolean                engine_screencast_portal_start_finish (EngineScreencastPortal *self,
                                                               GAsyncResult           *result,
                                                               GError                **error);
/* Closes the portal session (the compositor stops capturing) and the fd;
 * a start in progress finishes with G_IO_ERROR_CANCELLED. Idempotent. */
void                    engine_screencast_portal_stop         (EngineScreencastPortal *self);

gboolean                engine_screencast_portal_get_active   (EngineScreencastPortal *self);
/* The PipeWire remote's fd, owned by the object until _stop; -1 if none.
 * pipewiresrc duplicates it when it connects, so keep the object alive
 * until the pipeline reached PAUSED. */
int                     engine_screencast_portal_get_fd       (EngineScreencastPortal *self);
guint                   engine_screencast_portal_get_n_streams (EngineScreencastPortal *self);
const EngineScreencastStream *
                        engine_screencast_portal_get_stream   (EngineScreencastPortal *self,
                                                               guint                   index);
/* The description of stream @index, or NULL (with @error) when not started. */
char                   *engine_screencast_portal_build_source_description (EngineScreencastPortal *self,
                                                                           guint                   index,
                                                                           GError                **error);
/* The same as a bin with a "src" ghost pad, named "screen-source". */
GstElement             *engine_screencast_portal_create_source (EngineScreencastPortal *self,
                                                                guint                   index,
                                                                GError                **error);

/* What to offer and how long to remember it; read at the next start. */
void                    engine_screencast_portal_set_source_types (EngineScreencastPortal    *self,
                                                                   EngineScreencastSourceType types);
void                    engine_screencast_portal_set_persist_mode (EngineScreencastPortal     *self,
                                                                   EngineScreencastPersistMode mode);
/* The token from the last start (store it, e.g. in GSettings, and set it
 * before the next start so the user is not asked again); NULL if none. */
const char             *engine_screencast_portal_get_restore_token (EngineScreencastPortal *self);
void                    engine_screencast_portal_set_restore_token (EngineScreencastPortal *self,
                                                                    const char             *token);
/* "" or a window identifier ("x11:XID", "wayland:HANDLE") for the dialog. */
void                    engine_screencast_portal_set_parent_window (EngineScreencastPortal *self,
                                                                    const char             *parent_window);
/* How long to wait for each portal answer, the user's choice included. */
void                    engine_screencast_portal_set_timeout       (EngineScreencastPortal *self,
                                                                    guint                   timeout_ms);

G_END_DECLS
