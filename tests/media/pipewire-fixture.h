/* pipewire-fixture.h: a private PipeWire daemon for the media tests — its
 * own runtime directory, test nodes standing in for cameras, microphones
 * and compositors, and the session manager's part (configuring and linking
 * streams) played by the test. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _PipewireFixture PipewireFixture;

typedef gboolean (*PipewireFixtureCondition) (gpointer data);

/* Runs the thread-default main context until @cond holds or @timeout_ms
 * passed; polls every 20 ms for conditions no event announces (files,
 * other processes). Returns whether @cond holds. */
gboolean          pipewire_fixture_wait_until     (PipewireFixtureCondition cond,
                                                   gpointer                 data,
                                                   guint                    timeout_ms);

/* Starts `pipewire` in a new temporary runtime directory, and
 * `pipewire-pulse` on it when @with_pulse. The daemons and the pw-* tools
 * get that directory in their own environment: the test process's
 * environment is the test's to set. Aborts the test when a daemon does not
 * come up. */
PipewireFixture  *pipewire_fixture_start          (gboolean         with_pulse);
/* Stops the session manager's part, the daemons, and removes the directory. */
void              pipewire_fixture_stop           (PipewireFixture *pw);

const char       *pipewire_fixture_get_runtime_dir (PipewireFixture *pw);
const char       *pipewire_fixture_get_socket     (PipewireFixture *pw);
/* "unix:…/pulse/native", or NULL without pipewire-pulse. */
const char       *pipewire_fixture_get_pulse_server (PipewireFixture *pw);

/* Test nodes, living in the daemon (object.linger); each returns the node's
 * id once PipeWire lists it (and, for audio, its ports). */
/* SPA's videotestsrc as a "Video/Source": a camera or a screen stream. */
gint64            pipewire_fixture_add_video_source (PipewireFixture *pw,
                                                     const char      *name,
                                                     const char      *description);
/* SPA's audiotestsrc in an adapter as an "Audio/Source", with stereo DSP
 * ports (capture_FL/FR) as a session manager configures a microphone. */
gint64            pipewire_fixture_add_audio_source (PipewireFixture *pw,
                                                     const char      *name,
                                                     const char      *description);
/* A null "Audio/Sink": PulseAudio clients see its monitor as a source. */
gint64            pipewire_fixture_add_null_sink  (PipewireFixture *pw,
                                                   const char      *name);

/* pw-link OUTPUT INPUT ("node:port" or ids); whether it linked. */
gboolean          pipewire_fixture_link           (PipewireFixture *pw,
                                                   const char      *output,
                                                   const char      *input);
/* PipeWire's nodes (with their state), ports and links, for failure messages. */
char             *pipewire_fixture_describe       (PipewireFixture *pw);

/* The session manager's part, every 100 ms on the thread-default main
 * context until pipewire_fixture_stop: an input stream that names a target
 * node (target.object, node.target) gets DSP ports when it is audio, and
 * its ports linked to the target's, channel to channel. Streams relink when
 * they reconnect. */
void              pipewire_fixture_manage_streams (PipewireFixture *pw);
/* Streams linked to their target since manage_streams started. */
guint             pipewire_fixture_get_n_linked   (PipewireFixture *pw);

G_END_DECLS
