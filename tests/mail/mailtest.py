"""Helpers of the mail tests: a loopback SMTP server (smtp_server.py), the
real relay binary on port 0, the REST API, and waiting on events with
timeouts (never bare sleeps)."""

import email
import email.policy
import glob
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from datetime import datetime, timedelta, timezone

HERE = os.path.dirname(os.path.abspath(__file__))
BUILD = os.environ.get('OMNI_BUILD_DIR', os.path.join(HERE, '..', '..', 'build'))
RELAY = os.path.join(BUILD, 'relay', 'omnilive-relay')
PYTHON = '/usr/bin/python3'


def wait_for(predicate, timeout=15.0, what='condition', interval=0.02):
    """Polls predicate until it returns something truthy; fails after timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f'timed out after {timeout} s waiting for {what}')
        time.sleep(interval)


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def iso(dt):
    return dt.astimezone(timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')


def in_minutes(minutes, seconds=0):
    return datetime.now(timezone.utc) + timedelta(minutes=minutes, seconds=seconds)


class SmtpServer:
    def __init__(self, workdir, port=0, tls=None, hold_after=None, hold_seconds=3.0, auth=None):
        self.maildir = os.path.join(workdir, 'maildir-%d' % time.monotonic_ns())
        self.hold_marker = os.path.join(workdir, 'held')
        args = [PYTHON, os.path.join(HERE, 'smtp_server.py'), '--port', str(port), '--maildir', self.maildir]
        if tls:
            args += ['--tls-cert', tls[0], '--tls-key', tls[1]]
        if auth:
            args += ['--auth', auth]
        if hold_after is not None:
            args += ['--hold-after', str(hold_after), '--hold-marker', self.hold_marker,
                     '--hold-seconds', str(hold_seconds)]
        with open(os.path.join(workdir, 'smtp.log'), 'ab') as log:
            self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=log)
        line = self.proc.stdout.readline()
        if not line:
            raise AssertionError('the SMTP server did not start (see smtp.log)')
        self.port = int(line)

    def files(self):
        """Oldest first: Maildir names do not sort by time."""
        def key(path):
            try:
                return (os.stat(path).st_mtime_ns, path)
            except FileNotFoundError:
                return (0, path)
        return sorted(glob.glob(os.path.join(self.maildir, 'new', '*')), key=key)

    def messages(self):
        result = []
        for path in self.files():
            with open(path, 'rb') as f:
                result.append(email.message_from_bytes(f.read(), policy=email.policy.default))
        return result

    def wait_messages(self, count, timeout=15.0):
        wait_for(lambda: len(self.files()) >= count, timeout, f'{count} message(s) in the Maildir')
        return self.messages()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self.proc.stdout.close()


class Relay:
    def __init__(self, workdir, config=None, host_name='Hannah Host', host_email='host@example.com'):
        self.workdir = workdir
        self.data_dir = os.path.join(workdir, 'data')
        self.config_path = os.path.join(workdir, 'relay.ini')
        with open(self.config_path, 'w') as f:
            f.write(config or '')
        self.token = self.add_host(host_email, host_name)
        self.proc = None
        self.url = None
        self.log_path = os.path.join(workdir, 'relay.log')

    def add_host(self, email_address, name, admin=False):
        args = [RELAY, 'host', 'add', '--email', email_address, '--name', name, '--data-dir', self.data_dir]
        if admin:
            args.append('--admin')
        out = subprocess.run(args, check=True, capture_output=True, text=True).stdout
        return out.strip().splitlines()[-1].strip()

    def start(self):
        with open(self.log_path, 'ab') as log:
            self.proc = subprocess.Popen([RELAY, '--config', self.config_path, '--listen', '127.0.0.1:0',
                                          '--data-dir', self.data_dir],
                                         stdout=subprocess.PIPE, stderr=log)
        while True:
            line = self.proc.stdout.readline().decode()
            if not line:
                self.proc.wait()
                self.proc.stdout.close()
                raise AssertionError('the relay exited: ' + self.log())
            if 'listening on' in line:
                self.url = line.split('listening on', 1)[1].strip()
                return self

    def log(self):
        with open(self.log_path, errors='replace') as f:
            return f.read()

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        self.proc.stdout.close()

    def stop(self):
        """Stops the relay; returns what went wrong at exit (sanitizer reports,
        a failed shutdown) so teardown can fail the test."""
        if self.proc is None or self.proc.stdout.closed:
            return []
        problems = []
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                problems.append('the relay did not stop on SIGTERM')
        if self.proc.returncode != 0:
            problems.append(f'the relay exited with {self.proc.returncode}')
        self.proc.stdout.close()
        log = self.log()
        for marker in ('AddressSanitizer', 'LeakSanitizer', 'runtime error:', 'CRITICAL'):
            if marker in log:
                problems.append(f'{marker} in the relay log:\n{log[-4000:]}')
        return problems

    def api(self, method, path, body=None, token=None, expect=None):
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.url + path, data=data, method=method)
        request.add_header('Authorization', 'Bearer ' + (token or self.token))
        if data is not None:
            request.add_header('Content-Type', 'application/json')
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                status, text = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, text = error.code, error.read()
        result = json.loads(text) if text else None
        if expect is not None and status != expect:
            raise AssertionError(f'{method} {path}: HTTP {status}, expected {expect}: {result}')
        return result

    def create_session(self, title='Product Demo Session', participants=(), start=None, minutes=60, **extra):
        start = start or in_minutes(120)
        body = {
            'title': title,
            'sessionType': extra.pop('sessionType', 'webinar'),
            'scheduledStartTime': iso(start),
            'scheduledEndTime': iso(start + timedelta(minutes=minutes)),
            'participants': [{'email': e, 'name': n} for e, n in participants],
        }
        body.update(extra)
        return self.api('POST', '/api/sessions', body, expect=201)

    def mail_states(self, session_id):
        session = self.api('GET', f'/api/sessions/{session_id}', expect=200)
        return {p['email']: p.get('mail') for p in session['participants']}

    def wait_mail_state(self, session_id, email_address, predicate, timeout=15.0, what=None):
        def check():
            state = self.mail_states(session_id).get(email_address)
            return state if state and predicate(state) else None
        return wait_for(check, timeout, what or f'mail state of {email_address}', interval=0.05)


def smtp_config(port, extra_smtp='', extra_mail=''):
    return (f'[smtp]\nurl = smtp://127.0.0.1:{port}\nstarttls = optional\n'
            f'from = OmniLive <noreply@omnilive.test>\n{extra_smtp}\n'
            f'[mail]\nretry_initial_seconds = 1\n{extra_mail}\n')


def parts(message):
    """The MIME parts by content type (the first of each)."""
    found = {}
    for part in message.walk():
        found.setdefault(part.get_content_type(), part)
    return found


class Workdir:
    """A temp dir and the processes started in it, cleaned up in teardown."""

    def __init__(self):
        self.path = tempfile.mkdtemp(prefix='omni-mail-')
        self.processes = []

    def smtp(self, **kwargs):
        server = SmtpServer(self.path, **kwargs)
        self.processes.append(server)
        return server

    def relay(self, config='', **kwargs):
        relay = Relay(self.path, config, **kwargs)
        self.processes.append(relay)
        return relay

    def cleanup(self):
        problems = []
        for process in reversed(self.processes):
            problems += process.stop() or []
        if os.environ.get('OMNI_KEEP_TMP') or problems:
            print('kept', self.path, file=sys.stderr)
        else:
            shutil.rmtree(self.path, ignore_errors=True)
        if problems:
            raise AssertionError('\n'.join(problems))
