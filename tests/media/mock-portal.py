#!/usr/bin/python3
# mock-portal.py: a fake xdg-desktop-portal ScreenCast service for
# test-screencast-portal. It owns org.freedesktop.portal.Desktop on the
# (private) session bus, keeps requests and sessions where the real portal
# keeps them, answers through Request::Response signals, and hands out one
# end of a real socketpair as the "PipeWire remote". It is stricter than
# the real portal about options a version does not know, so a client that
# sends them fails the tests instead of being silently forgiven.
#
# Its control interface (org.omnilive.MockPortal at /org/omnilive/MockPortal)
# logs every call (Calls(), and a Called signal to wait on) and can close
# the sessions as if the user pressed "stop sharing" (CloseSessions()).
#
# Run with Debian's /usr/bin/python3 (python3-gi); the pyenv python3 on
# PATH does not see Debian's packages.

import argparse
import re
import signal
import socket
import sys

from gi.repository import Gio, GLib

BUS_NAME = 'org.freedesktop.portal.Desktop'
DESKTOP_PATH = '/org/freedesktop/portal/desktop'
CONTROL_PATH = '/org/omnilive/MockPortal'
CONTROL_IFACE = 'org.omnilive.MockPortal'
INVALID_ARGUMENT = 'org.freedesktop.portal.Error.InvalidArgument'
NOT_ALLOWED = 'org.freedesktop.portal.Error.NotAllowed'
TOKEN_RE = re.compile(r'^[A-Za-z0-9_]+$')

SCREENCAST_XML = '''
<node>
  <interface name="org.freedesktop.portal.ScreenCast">
    <method name="CreateSession">
      <arg type="a{sv}" name="options" direction="in"/>
      <arg type="o" name="handle" direction="out"/>
    </method>
    <method name="SelectSources">
      <arg type="o" name="session_handle" direction="in"/>
      <arg type="a{sv}" name="options" direction="in"/>
      <arg type="o" name="handle" direction="out"/>
    </method>
    <method name="Start">
      <arg type="o" name="session_handle" direction="in"/>
      <arg type="s" name="parent_window" direction="in"/>
      <arg type="a{sv}" name="options" direction="in"/>
      <arg type="o" name="handle" direction="out"/>
    </method>
    <method name="OpenPipeWireRemote">
      <arg type="o" name="session_handle" direction="in"/>
      <arg type="a{sv}" name="options" direction="in"/>
      <arg type="h" name="fd" direction="out"/>
    </method>
    <property name="AvailableSourceTypes" type="u" access="read"/>
    %(cursor_modes)s
    <property name="version" type="u" access="read"/>
  </interface>
</node>'''

REQUEST_XML = '''
<node>
  <interface name="org.freedesktop.portal.Request">
    <method name="Close"/>
    <signal name="Response">
      <arg type="u" name="response"/>
      <arg type="a{sv}" name="results"/>
    </signal>
  </interface>
</node>'''

SESSION_XML = '''
<node>
  <interface name="org.freedesktop.portal.Session">
    <method name="Close"/>
    <signal name="Closed">
      <arg type="a{sv}" name="details"/>
    </signal>
    <property name="version" type="u" access="read"/>
  </interface>
</node>'''

CONTROL_XML = '''
<node>
  <interface name="org.omnilive.MockPortal">
    <method name="Calls">
      <arg type="a(sa{sv})" name="calls" direction="out"/>
    </method>
    <method name="CloseSessions"/>
    <signal name="Called">
      <arg type="s" name="name"/>
      <arg type="a{sv}" name="details"/>
    </signal>
  </interface>
</node>'''


def vardict_items(variant):
    """The entries of an a{sv} GVariant, values kept as GVariants."""
    items = {}
    for i in range(variant.n_children()):
        entry = variant.get_child_value(i)
        items[entry.get_child_value(0).get_string()] = entry.get_child_value(1).get_variant()
    return items


class PortalError(Exception):
    def __init__(self, name, message):
        super().__init__(message)
        self.name = name


class MockPortal:
    def __init__(self, args, connection):
        self.args = args
        self.conn = connection
        self.calls = []
        self.sessions = {}      # path -> dict
        self.requests = {}      # path -> registration id
        self.issued_tokens = set()
        self.token_serial = 0
        cursor = ('<property name="AvailableCursorModes" type="u" access="read"/>'
                  if args.version >= 2 else '')
        screencast = Gio.DBusNodeInfo.new_for_xml(SCREENCAST_XML % {'cursor_modes': cursor})
        self.request_info = Gio.DBusNodeInfo.new_for_xml(REQUEST_XML).interfaces[0]
        self.session_info = Gio.DBusNodeInfo.new_for_xml(SESSION_XML).interfaces[0]
        control = Gio.DBusNodeInfo.new_for_xml(CONTROL_XML).interfaces[0]
        if not args.no_screencast:
            connection.register_object(DESKTOP_PATH, screencast.interfaces[0],
                                       self.on_screencast_call, self.on_get_property, None)
        connection.register_object(CONTROL_PATH, control, self.on_control_call, None, None)

    # The log the tests read and wait on.
    def log(self, name, details):
        self.calls.append((name, details))
        self.conn.emit_signal(None, CONTROL_PATH, CONTROL_IFACE, 'Called',
                              GLib.Variant('(sa{sv})', (name, details)))

    def response_for(self, method):
        return self.args.response.get(method, '0')

    def on_get_property(self, conn, sender, path, iface, name):
        values = {
            'AvailableSourceTypes': self.args.source_types,
            'AvailableCursorModes': self.args.cursor_modes,
            'version': self.args.version,
        }
        return GLib.Variant('u', values[name])

    def on_screencast_call(self, conn, sender, path, iface, method, params, invocation):
        try:
            handler = getattr(self, 'do_' + method)
            handler(sender, params, invocation)
        except PortalError as error:
            invocation.return_dbus_error(error.name, str(error))

    # Requests: one object per call, at the path the client can predict.
    def new_request(self, sender, options, method):
        token = options.get('handle_token')
        token = token.get_string() if token is not None else 't%d' % len(self.calls)
        if not TOKEN_RE.match(token):
            raise PortalError(INVALID_ARGUMENT, 'Invalid handle_token %r' % token)
        path = '%s/request/%s/%s' % (DESKTOP_PATH, sender[1:].replace('.', '_'), token)
        if path in self.requests:
            raise PortalError(INVALID_ARGUMENT, 'Request %s exists' % path)

        def on_request_call(conn, sender_, path_, iface, name, params, invocation):
            self.log('Request.Close', {'path': GLib.Variant('s', path_), 'method': GLib.Variant('s', method)})
            self.drop_request(path_)
            invocation.return_value(None)

        self.requests[path] = self.conn.register_object(path, self.request_info, on_request_call, None, None)
        return path

    def drop_request(self, path):
        registration = self.requests.pop(path, None)
        if registration is not None:
            self.conn.unregister_object(registration)

    def answer(self, sender, request, method, results_fn, on_failure=None):
        """Replies with the request path, then (like the real portal, after
        the reply) emits the Response — unless told never to answer."""
        code = self.response_for(method)
        if code == 'never':
            return

        def respond():
            if request not in self.requests:
                return GLib.SOURCE_REMOVE
            response = int(code)
            results = results_fn() if response == 0 else {}
            if response != 0 and on_failure is not None:
                on_failure()
            self.conn.emit_signal(sender, request, 'org.freedesktop.portal.Request', 'Response',
                                  GLib.Variant('(ua{sv})', (response, results)))
            self.drop_request(request)
            return GLib.SOURCE_REMOVE

        GLib.idle_add(respond)

    def session_of(self, sender, path):
        session = self.sessions.get(path)
        if session is None or session['owner'] != sender:
            raise PortalError(NOT_ALLOWED, 'No session %s for %s' % (path, sender))
        return session

    def do_CreateSession(self, sender, params, invocation):
        options = vardict_items(params.get_child_value(0))
        self.log('CreateSession', options)
        request = self.new_request(sender, options, 'CreateSession')
        token = options.get('session_handle_token')
        token = token.get_string() if token is not None else 's%d' % len(self.calls)
        if not TOKEN_RE.match(token):
            raise PortalError(INVALID_ARGUMENT, 'Invalid session_handle_token %r' % token)
        session_path = '%s/session/%s/%s' % (DESKTOP_PATH, sender[1:].replace('.', '_'), token)
        # Like xdg-desktop-portal: the session exists from the call on, and
        # goes away again if creating it fails.
        self.open_session(sender, session_path)

        def results():
            # Sent as "s", as xdg-desktop-portal does, though documented "o".
            return {'session_handle': GLib.Variant('s', session_path)}

        invocation.return_value(GLib.Variant('(o)', (request,)))
        self.answer(sender, request, 'CreateSession', results,
                    on_failure=lambda: self.close_session(session_path))

    def open_session(self, sender, path):
        def on_session_call(conn, sender_, path_, iface, name, params, invocation):
            self.log('Session.Close', {'path': GLib.Variant('s', path_)})
            self.close_session(path_)
            invocation.return_value(None)

        def on_session_property(conn, sender_, path_, iface, name):
            return GLib.Variant('u', 1)

        registration = self.conn.register_object(path, self.session_info, on_session_call,
                                                 on_session_property, None)
        self.sessions[path] = {'owner': sender, 'registration': registration, 'selected': False,
                               'started': False, 'persist_mode': 0, 'restored': False,
                               'pipewire': None}

    def close_session(self, path):
        session = self.sessions.pop(path, None)
        if session is None:
            return
        self.conn.unregister_object(session['registration'])
        if session['pipewire'] is not None:
            session['pipewire'].close()

    def do_SelectSources(self, sender, params, invocation):
        session_path = params.get_child_value(0).get_string()
        options = vardict_items(params.get_child_value(1))
        self.log('SelectSources', dict(options, session_handle=GLib.Variant('s', session_path)))
        session = self.session_of(sender, session_path)
        if session['selected']:
            raise PortalError(NOT_ALLOWED, 'Sources already selected')
        types = options['types'].get_uint32() if 'types' in options else 1
        if types == 0 or types & ~self.args.source_types:
            raise PortalError(INVALID_ARGUMENT, 'Unsupported source types 0x%x' % types)
        if 'cursor_mode' in options:
            mode = options['cursor_mode'].get_uint32()
            if self.args.version < 2 or not (mode & self.args.cursor_modes):
                raise PortalError(INVALID_ARGUMENT, 'Unavailable cursor mode %d' % mode)
        if ('persist_mode' in options or 'restore_token' in options) and self.args.version < 4:
            raise PortalError(INVALID_ARGUMENT, 'persist_mode/restore_token need version 4')
        if 'persist_mode' in options:
            session['persist_mode'] = options['persist_mode'].get_uint32()
            if session['persist_mode'] > 2:
                raise PortalError(INVALID_ARGUMENT, 'Bad persist_mode')
        if 'restore_token' in options:
            token = options['restore_token'].get_string()
            # Single use, as in the real portal.
            session['restored'] = token in self.issued_tokens
            self.issued_tokens.discard(token)
        session['selected'] = True
        request = self.new_request(sender, options, 'SelectSources')
        invocation.return_value(GLib.Variant('(o)', (request,)))
        self.answer(sender, request, 'SelectSources', lambda: {})

    def do_Start(self, sender, params, invocation):
        session_path = params.get_child_value(0).get_string()
        parent_window = params.get_child_value(1).get_string()
        options = vardict_items(params.get_child_value(2))
        session = self.session_of(sender, session_path)
        self.log('Start', dict(options, session_handle=GLib.Variant('s', session_path),
                               parent_window=GLib.Variant('s', parent_window),
                               restored=GLib.Variant('b', session['restored'])))
        if not session['selected'] or session['started']:
            raise PortalError(NOT_ALLOWED, 'Start needs SelectSources, once')
        request = self.new_request(sender, options, 'Start')

        def results():
            session['started'] = True
            props = {'id': GLib.Variant('s', 'monitor-0'),
                     'position': GLib.Variant('(ii)', (0, 0)),
                     'size': GLib.Variant('(ii)', (1920, 1080)),
                     'source_type': GLib.Variant('u', 1)}
            out = {'streams': GLib.Variant('a(ua{sv})', [(self.args.node_id, props)])}
            if session['persist_mode'] != 0 and self.args.version >= 4:
                self.token_serial += 1
                token = 'mock-restore-%d' % self.token_serial
                self.issued_tokens.add(token)
                out['restore_token'] = GLib.Variant('s', token)
            return out

        invocation.return_value(GLib.Variant('(o)', (request,)))
        self.answer(sender, request, 'Start', results)

    def do_OpenPipeWireRemote(self, sender, params, invocation):
        session_path = params.get_child_value(0).get_string()
        self.log('OpenPipeWireRemote', {'session_handle': GLib.Variant('s', session_path)})
        session = self.session_of(sender, session_path)
        if not session['started']:
            raise PortalError(NOT_ALLOWED, 'Session not started')
        if self.args.pipewire_socket:
            # A test's own PipeWire daemon: the client gets a real
            # connection to it, as the portal hands out its restricted one.
            theirs = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            theirs.connect(self.args.pipewire_socket)
        else:
            # A real socket, as PipeWire's remote is: the client proves it got
            # it by reading this line, and sees EOF when the session closes.
            mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
            mine.sendall(('mock-pipewire %s\n' % session_path).encode())
            session['pipewire'] = mine
        fd_list = Gio.UnixFDList()
        fd_list.append(theirs.fileno())   # duplicates it
        theirs.close()
        invocation.return_value_with_unix_fd_list(GLib.Variant('(h)', (0,)), fd_list)

    def on_control_call(self, conn, sender, path, iface, method, params, invocation):
        if method == 'Calls':
            invocation.return_value(GLib.Variant('(a(sa{sv}))', (self.calls,)))
        elif method == 'CloseSessions':
            for session_path, session in list(self.sessions.items()):
                self.conn.emit_signal(session['owner'], session_path, 'org.freedesktop.portal.Session',
                                      'Closed', GLib.Variant('(a{sv})', ({},)))
                self.close_session(session_path)
            invocation.return_value(None)


def parse_response(text):
    method, _, code = text.partition('=')
    if method not in ('CreateSession', 'SelectSources', 'Start') or not (code == 'never' or code.isdigit()):
        raise argparse.ArgumentTypeError('expected METHOD=CODE|never, got %r' % text)
    return method, code


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--version', type=int, default=5, help='ScreenCast interface version')
    parser.add_argument('--source-types', type=int, default=3, help='AvailableSourceTypes')
    parser.add_argument('--cursor-modes', type=int, default=7, help='AvailableCursorModes')
    parser.add_argument('--node-id', type=int, default=42, help='PipeWire node of the stream')
    parser.add_argument('--pipewire-socket', help='hand out connections to this PipeWire socket')
    parser.add_argument('--response', type=parse_response, action='append', default=[],
                        help='METHOD=CODE: answer METHOD with CODE (1 cancelled, 2 failed) '
                             'or never')
    parser.add_argument('--no-screencast', action='store_true',
                        help='own the name but offer no ScreenCast interface')
    args = parser.parse_args()
    args.response = dict(args.response)

    loop = GLib.MainLoop()
    connection = Gio.bus_get_sync(Gio.BusType.SESSION, None)
    portal = MockPortal(args, connection)

    def on_lost(conn, name):
        print('mock-portal: could not own %s' % name, file=sys.stderr)
        loop.quit()
        sys.exit(1)

    # Objects first, name last: once the tests see the name, it all works.
    Gio.bus_own_name_on_connection(connection, BUS_NAME, Gio.BusNameOwnerFlags.DO_NOT_QUEUE,
                                   None, on_lost)
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGTERM, loop.quit)
    loop.run()
    del portal


if __name__ == '__main__':
    main()
