#!/usr/bin/python3
"""A loopback SMTP server for the mail tests: aiosmtpd with the Maildir
handler, optional STARTTLS (required when a certificate is given), and fault
injection: recipients containing "reject" get 550, "tempfail" get 451, and
--hold-after N stalls every RCPT for --hold-seconds once N messages are stored
(writing a marker file), so a test can kill the relay while messages are in
flight but none is half-accepted.

Prints the port on stdout when it accepts connections."""

import argparse
import asyncio
import os
import socket
import ssl
import sys

from aiosmtpd.handlers import Mailbox
from aiosmtpd.smtp import SMTP, AuthResult


class Handler(Mailbox):
    def __init__(self, maildir, hold_after, hold_marker, hold_seconds):
        super().__init__(maildir)
        self.maildir = maildir
        self.hold_after = hold_after
        self.hold_marker = hold_marker
        self.hold_seconds = hold_seconds
        self.stored = 0
        self.hold_until = None

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if 'reject' in address:
            return '550 5.1.1 No such user here'
        if 'tempfail' in address:
            return '451 4.3.0 Try again later'
        loop = asyncio.get_running_loop()
        if self.hold_after is not None and self.hold_until is None and self.stored >= self.hold_after:
            self.hold_until = loop.time() + self.hold_seconds
            with open(self.hold_marker, 'w') as f:
                f.write(address)
        # While held, every connection stalls before its message could be
        # accepted, so nothing is half-delivered when the client dies.
        if self.hold_until is not None and loop.time() < self.hold_until:
            await asyncio.sleep(self.hold_until - loop.time())
        envelope.rcpt_tos.append(address)
        return '250 OK'

    async def handle_DATA(self, server, session, envelope):
        result = await super().handle_DATA(server, session, envelope)
        self.stored += 1
        return result


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--port', type=int, default=0)
    parser.add_argument('--maildir', required=True)
    parser.add_argument('--tls-cert')
    parser.add_argument('--tls-key')
    parser.add_argument('--hold-after', type=int)
    parser.add_argument('--hold-marker')
    parser.add_argument('--hold-seconds', type=float, default=3.0)
    parser.add_argument('--auth', help='USER:PASSWORD required (after STARTTLS)')
    args = parser.parse_args()

    tls_context = None
    if args.tls_cert:
        tls_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls_context.load_cert_chain(args.tls_cert, args.tls_key)

    handler = Handler(args.maildir, args.hold_after, args.hold_marker, args.hold_seconds)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(('127.0.0.1', args.port))
    sock.listen(128)

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)

    def authenticator(server, session, envelope, mechanism, auth_data):
        user, password = args.auth.split(':', 1)
        ok = auth_data.login.decode() == user and auth_data.password.decode() == password
        # handled=False on failure, or aiosmtpd leaves the client waiting.
        return AuthResult(success=ok, handled=False)

    def factory():
        return SMTP(handler, hostname='localhost', tls_context=tls_context,
                    require_starttls=tls_context is not None, loop=loop,
                    authenticator=authenticator if args.auth else None,
                    auth_required=bool(args.auth))

    server = loop.run_until_complete(loop.create_server(factory, sock=sock))
    print(sock.getsockname()[1], flush=True)
    try:
        loop.run_forever()
    finally:
        server.close()


if __name__ == '__main__':
    sys.exit(main())
