#!/usr/bin/python3
"""Mail end to end: the real relay sends through a real SMTP server on
loopback (aiosmtpd); every message is parsed with Python's email package and
every calendar part with icalendar. Run one class: test_mail.py ClassName."""

import os
import re
import sqlite3
import subprocess
import sys
import time
import unittest
from datetime import datetime, timedelta, timezone

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mailtest import Workdir, free_port, in_minutes, iso, parts, smtp_config, wait_for  # noqa: E402

from icalendar import Calendar  # noqa: E402

HOST_EMAIL = 'host@example.com'
HOST_NAME = 'Hannah Høst'


def calendar_of(message):
    """The text/calendar part, parsed, after checking the .ics attachment is
    the same calendar."""
    found = parts(message)
    inline = found['text/calendar']
    attachment = found['application/ics']
    assert attachment.get_content_disposition() == 'attachment', attachment
    assert attachment.get_filename().endswith('.ics')
    data = inline.get_content()
    assert attachment.get_content().replace(b'\r\n', b'\n').decode() == data.replace('\r\n', '\n')
    for line in data.split('\r\n'):
        assert len(line.encode()) <= 75, line
    return Calendar.from_ical(data), inline.get_param('method')


def events(calendar):
    return list(calendar.walk('VEVENT'))


def by_recipient(messages):
    result = {}
    for m in messages:
        result.setdefault(m['X-RcptTo'], []).append(m)
    return result


class MailTestCase(unittest.TestCase):
    def setUp(self):
        self.work = Workdir()

    def tearDown(self):
        self.work.cleanup()

    def start(self, extra_mail='', extra_smtp='', **smtp_args):
        self.smtp = self.work.smtp(**smtp_args)
        self.relay = self.work.relay(smtp_config(self.smtp.port, extra_smtp, extra_mail),
                                     host_name=HOST_NAME, host_email=HOST_EMAIL).start()
        return self.relay

    def assert_headers(self, message, to_email, subject):
        self.assertEqual(message['Subject'], subject)
        self.assertEqual(message['From'].addresses[0].addr_spec, 'noreply@omnilive.test')
        self.assertEqual(message['Reply-To'].addresses[0].addr_spec, HOST_EMAIL)
        self.assertEqual(message['Reply-To'].addresses[0].display_name, HOST_NAME)
        self.assertEqual(message['To'].addresses[0].addr_spec, to_email)
        self.assertRegex(message['Message-ID'], r'^<[^<>@\s]+@omnilive\.test>$')
        date = email_date(message)
        self.assertLess(abs((datetime.now(timezone.utc) - date).total_seconds()), 120)
        self.assertEqual(message['MIME-Version'], '1.0')
        for name, value in message.raw_items():
            for line in (name + ': ' + value).split('\r\n'):
                self.assertLessEqual(len(line), 998)
                self.assertTrue(all(ord(c) < 128 for c in line), f'raw header not ASCII: {line!r}')


def email_date(message):
    return message['Date'].datetime.astimezone(timezone.utc)


class InvitationTest(MailTestCase):
    def test_invitation_headers_body_escaping_and_ics(self):
        relay = self.start(extra_mail='timezone = Europe/Berlin')
        title = 'Démo <script>alert("x")</script> & more'
        start = datetime(2031, 1, 25, 9, 0, tzinfo=timezone.utc)
        session = relay.create_session(title, [('ann@example.com', 'Ann Ünal'), ('bob@example.org', 'Bob')],
                                       start=start, description='Live demo <b>new</b> features',
                                       agenda='1. Intro\n2. Q&A', password='s3cret-pw')
        messages = by_recipient(self.smtp.wait_messages(2))
        self.assertEqual(set(messages), {'ann@example.com', 'bob@example.org'})
        m = messages['ann@example.com'][0]
        self.assert_headers(m, 'ann@example.com', 'Invitation: ' + title)
        self.assertEqual(m['To'].addresses[0].display_name, 'Ann Ünal')
        self.assertEqual(m.get_content_type(), 'multipart/mixed')

        found = parts(m)
        self.assertIn('multipart/alternative', found)
        text = found['text/plain'].get_content()
        html = found['text/html'].get_content()
        join_url = session['joinUrl']
        self.assertIn("You're invited to a webinar", text)
        self.assertIn('Title: ' + title, text)
        # The relay's zone, named.
        self.assertIn('When: January 25, 2031 at 10:00 AM CET (Europe/Berlin)', text)
        self.assertIn('Duration: 60 minutes', text)
        self.assertIn('Description: Live demo <b>new</b> features', text)
        self.assertIn('1. Intro\n2. Q&A', text)
        self.assertIn(join_url, text)
        self.assertIn('protected by a password', text)
        self.assertNotIn('s3cret-pw', m.as_string())

        self.assertNotIn('<script>', html)
        self.assertNotIn('<b>new</b>', html)
        self.assertIn('Démo &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; more', html)
        self.assertIn('Live demo &lt;b&gt;new&lt;/b&gt; features', html)
        self.assertIn(f'<a href="{join_url}"', html)
        self.assertIn('Join Session</a>', html)
        self.assertIn('Or copy this link', html)

        calendar, method = calendar_of(m)
        self.assertEqual(method, 'REQUEST')
        self.assertEqual(str(calendar['METHOD']), 'REQUEST')
        self.assertEqual(str(calendar['VERSION']), '2.0')
        (event,) = events(calendar)
        self.assertEqual(str(event['UID']), session['_id'] + '@omnilive.test')
        self.assertEqual(int(event['SEQUENCE']), 0)
        self.assertEqual(event.decoded('DTSTART'), start)
        self.assertEqual(event.decoded('DTEND'), start + timedelta(hours=1))
        self.assertEqual(event.decoded('DTSTART').utcoffset(), timedelta(0))
        self.assertEqual(str(event['SUMMARY']), title)
        self.assertEqual(str(event['URL']), join_url)
        self.assertEqual(str(event['LOCATION']), join_url)
        self.assertEqual(str(event['ORGANIZER']), 'mailto:' + HOST_EMAIL)
        self.assertEqual(event['ORGANIZER'].params['CN'], HOST_NAME)
        self.assertEqual(str(event['ATTENDEE']), 'mailto:ann@example.com')
        self.assertEqual(event['ATTENDEE'].params['CN'], 'Ann Ünal')
        self.assertIn(join_url, str(event['DESCRIPTION']))
        self.assertNotIn('RRULE', event)

        # Same calendar UID for everybody, one Message-ID each.
        other, _ = calendar_of(messages['bob@example.org'][0])
        self.assertEqual(str(events(other)[0]['UID']), str(event['UID']))
        self.assertNotEqual(m['Message-ID'], messages['bob@example.org'][0]['Message-ID'])

        states = relay.mail_states(session['_id'])
        wait_for(lambda: all(s and s['state'] == 'sent' for s in relay.mail_states(session['_id']).values()),
                 10, 'both invitations marked sent')
        states = relay.mail_states(session['_id'])
        self.assertEqual(states['ann@example.com']['kind'], 'invitation')
        self.assertEqual(states['ann@example.com']['attempts'], 1)

    def test_update_add_and_cancel(self):
        relay = self.start()
        start = in_minutes(180).replace(microsecond=0)
        session = relay.create_session('Weekly sync', [('ann@example.com', 'Ann')], start=start)
        sid = session['_id']
        self.smtp.wait_messages(1)

        # A new time: same UID, higher SEQUENCE, REQUEST.
        new_start = start + timedelta(hours=1)
        relay.api('PATCH', f'/api/sessions/{sid}', {'scheduledStartTime': iso(new_start),
                                                     'scheduledEndTime': iso(new_start + timedelta(hours=1))},
                  expect=200)
        m = self.smtp.wait_messages(2)[-1]
        self.assertEqual(m['Subject'], 'Updated: Weekly sync')
        calendar, method = calendar_of(m)
        (event,) = events(calendar)
        self.assertEqual(method, 'REQUEST')
        self.assertEqual(str(event['UID']), sid + '@omnilive.test')
        self.assertEqual(int(event['SEQUENCE']), 1)
        self.assertEqual(event.decoded('DTSTART'), new_start)

        # A title-only change sends nothing.
        relay.api('PATCH', f'/api/sessions/{sid}', {'title': 'Weekly sync!'}, expect=200)

        # An added participant gets an invitation; the others nothing new.
        relay.api('POST', f'/api/sessions/{sid}/participants',
                  {'participants': [{'email': 'carl@example.com', 'name': 'Carl'}]}, expect=201)
        m = self.smtp.wait_messages(3)[-1]
        self.assertEqual(m['X-RcptTo'], 'carl@example.com')
        self.assertEqual(m['Subject'], 'Invitation: Weekly sync!')
        (event,) = events(calendar_of(m)[0])
        self.assertEqual(int(event['SEQUENCE']), 1)

        relay.api('POST', f'/api/sessions/{sid}/cancel', expect=200)
        messages = self.smtp.wait_messages(5)
        cancels = [m for m in messages if m['Subject'] == 'Cancelled: Weekly sync!']
        self.assertEqual(sorted(m['X-RcptTo'] for m in cancels), ['ann@example.com', 'carl@example.com'])
        calendar, method = calendar_of(cancels[0])
        self.assertEqual(method, 'CANCEL')
        self.assertEqual(str(calendar['METHOD']), 'CANCEL')
        (event,) = events(calendar)
        self.assertEqual(str(event['UID']), sid + '@omnilive.test')
        self.assertEqual(str(event['STATUS']), 'CANCELLED')
        self.assertGreaterEqual(int(event['SEQUENCE']), 2)
        self.assertEqual(len(self.smtp.files()), 5)

    def test_password_included_only_when_asked(self):
        relay = self.start()
        session = relay.create_session('With password', [('ann@example.com', 'Ann')], password='open-sesame',
                                       includePassword=True)
        m = self.smtp.wait_messages(1)[0]
        text = parts(m)['text/plain'].get_content()
        self.assertIn('Password: open-sesame', text)
        self.assertNotIn('protected by a password', text)
        # Once sent, the relay forgets the password: a resend only hints at it.
        relay.wait_mail_state(session['_id'], 'ann@example.com', lambda s: s['state'] == 'sent')
        relay.api('POST', f'/api/sessions/{session["_id"]}/resend', expect=202)
        text = parts(self.smtp.wait_messages(2)[-1])['text/plain'].get_content()
        self.assertNotIn('open-sesame', text)
        self.assertIn('protected by a password', text)
        relay.api('POST', '/api/sessions', {'title': 'x', 'scheduledStartTime': iso(in_minutes(60)),
                                            'includePassword': 'yes'}, expect=400)

    def test_weekly_series_is_one_invitation_with_rrule(self):
        relay = self.start()
        start = datetime(2031, 3, 3, 15, 0, tzinfo=timezone.utc)
        session = relay.create_session('Office hours', [('ann@example.com', 'Ann')], start=start,
                                       recurrence={'frequency': 'weekly', 'count': 3})
        links = [s['joinUrl'] for s in session['sessions']]
        self.assertEqual(len(links), 3)
        (m,) = self.smtp.wait_messages(1)
        text = parts(m)['text/plain'].get_content()
        self.assertIn('This is a weekly series of 3 sessions', text)
        for link in links:
            self.assertEqual(text.count(link), 2 if link == links[0] else 1, text)
        self.assertIn('March 10, 2031 at 3:00 PM UTC: ' + links[1], text)
        calendar, _ = calendar_of(m)
        master, *overrides = events(calendar)
        self.assertEqual(dict(master['RRULE']), {'FREQ': ['WEEKLY'], 'COUNT': [3]})
        self.assertEqual(master.decoded('DTSTART'), start)
        self.assertEqual(str(master['URL']), links[0])
        self.assertEqual(len(overrides), 2)
        for i, event in enumerate(overrides, start=1):
            self.assertEqual(str(event['UID']), str(master['UID']))
            self.assertEqual(event.decoded('RECURRENCE-ID'), start + timedelta(weeks=i))
            self.assertEqual(event.decoded('DTSTART'), start + timedelta(weeks=i))
            self.assertEqual(str(event['URL']), links[i])
        # No second mail for the other occurrences.
        self.assertEqual(len(self.smtp.files()), 1)
        # Yet every occurrence shows Ann's invitation as sent.
        for occurrence in session['sessions']:
            state = relay.wait_mail_state(occurrence['_id'], 'ann@example.com', lambda s: s['state'] == 'sent')
            self.assertEqual(state['kind'], 'invitation')


class LifecycleTest(MailTestCase):
    def test_started_to_absent_invitees_and_follow_up(self):
        relay = self.start(extra_mail='follow_up = true')
        session = relay.create_session('Support call', [('ann@example.com', 'Ann'), ('bob@example.com', 'Bob')],
                                       start=in_minutes(5), sessionType='meeting')
        sid = session['_id']
        self.smtp.wait_messages(2)
        relay.api('POST', f'/api/sessions/{sid}/start', expect=200)
        started = self.smtp.wait_messages(4)[2:]
        self.assertEqual(sorted(m['X-RcptTo'] for m in started), ['ann@example.com', 'bob@example.com'])
        m = started[0]
        self.assertEqual(m['Subject'], 'Support call has started')
        text = parts(m)['text/plain'].get_content()
        self.assertIn('The session "Support call" has started!', text)
        self.assertIn('Join now: ' + session['joinUrl'], text)
        self.assertNotIn('text/calendar', {p.get_content_type() for p in m.walk()})

        # Ann comes; after the end only she is thanked.
        link = session['accessLink']
        relay.api('POST', f'/api/join/{link}', {'name': 'Ann', 'email': 'ann@example.com'}, expect=200)
        relay.api('POST', f'/api/sessions/{sid}/end', expect=200)
        m = self.smtp.wait_messages(5)[-1]
        self.assertEqual(m['Subject'], 'Thank you for joining Support call')
        self.assertEqual(m['X-RcptTo'], 'ann@example.com')

    def test_follow_up_off_by_default(self):
        relay = self.start()
        session = relay.create_session('No thanks', [('ann@example.com', 'Ann')], start=in_minutes(5))
        sid = session['_id']
        relay.api('POST', f'/api/sessions/{sid}/start', expect=200)
        relay.api('POST', f'/api/join/{session["accessLink"]}', {'name': 'Ann', 'email': 'ann@example.com'},
                  expect=200)
        relay.api('POST', f'/api/sessions/{sid}/end', expect=200)
        self.smtp.wait_messages(2)
        outbox = relay.api('GET', f'/api/outbox?sessionId={sid}', token=relay.add_host('admin@example.com', 'Admin',
                                                                                        admin=True), expect=200)
        self.assertEqual(sorted(r['kind'] for r in outbox), ['invitation', 'started'])


    def test_outbox_pruned_after_keep_days_mail_state_kept(self):
        relay = self.start(extra_mail='keep_days = 1')
        old = relay.create_session('Long ago', [('ann@example.com', 'Ann')])
        recent = relay.create_session('Next week', [('ann@example.com', 'Ann')])
        for session in (old, recent):
            relay.wait_mail_state(session['_id'], 'ann@example.com', lambda s: s['state'] == 'sent')
        self.assertEqual(relay.stop(), [])

        # Ten days on for the first session: it ended, its mail is old.
        ten_days_ms = 10 * 24 * 3600 * 1000
        db = sqlite3.connect(os.path.join(relay.data_dir, 'relay.db'))
        with db:
            db.execute('UPDATE sessions SET scheduled_start = scheduled_start - ?, scheduled_end = scheduled_end - ?'
                       ' WHERE id = ?', (ten_days_ms, ten_days_ms, old['_id']))
            db.execute('UPDATE outbox SET created_at = created_at - ? WHERE session_id = ?',
                       (ten_days_ms, old['_id']))
        db.close()

        relay.start()
        admin = relay.add_host('admin@example.com', 'Admin', admin=True)
        wait_for(lambda: not relay.api('GET', f'/api/outbox?sessionId={old["_id"]}', token=admin, expect=200),
                 what='the old session\'s messages to be pruned')
        self.assertEqual(len(relay.api('GET', f'/api/outbox?sessionId={recent["_id"]}', token=admin, expect=200)), 1)
        state = relay.mail_states(old['_id'])['ann@example.com']
        self.assertEqual((state['state'], state['kind']), ('sent', 'invitation'))
        self.assertIn('Pruned 1 old message(s)', relay.log())


class ReminderTest(MailTestCase):
    def test_reminder_once_also_across_restarts(self):
        # The reminder window (60 min) opens 3 s after creation.
        relay = self.start()
        start = in_minutes(60, seconds=3)
        session = relay.create_session('Remind me', [('ann@example.com', 'Ann')], start=start)
        self.smtp.wait_messages(1)
        relay.wait_mail_state(session['_id'], 'ann@example.com', lambda s: s['state'] == 'sent')
        relay.kill9()
        relay.start()
        m = self.smtp.wait_messages(2, timeout=20)[-1]
        self.assertTrue(m['Subject'].startswith('Reminder: Remind me starts at '), m['Subject'])
        text = parts(m)['text/plain'].get_content()
        # The restarted relay listens on another port: its public URL counts.
        join_url = relay.api('GET', f'/api/sessions/{session["_id"]}', expect=200)['joinUrl']
        self.assertIn('Join Session: ' + join_url, text)
        self.assertRegex(text, r'starts in (59|60) minutes')
        relay.wait_mail_state(session['_id'], 'ann@example.com', lambda s: s['state'] == 'sent')

        relay.stop()
        relay.start()
        # A new worker rescans: nothing is due twice.
        admin = relay.add_host('admin@example.com', 'Admin', admin=True)
        rows = relay.api('GET', '/api/outbox', token=admin, expect=200)
        self.assertEqual(sorted(r['kind'] for r in rows), ['invitation', 'reminder'])
        self.assertEqual(len(self.smtp.files()), 2)

    def test_no_reminder_for_a_session_made_inside_the_window(self):
        relay = self.start(extra_mail='reminder_minutes = 30')
        relay.create_session('Soon', [('ann@example.com', 'Ann')], start=in_minutes(20))
        self.smtp.wait_messages(1)
        admin = relay.add_host('admin@example.com', 'Admin', admin=True)
        rows = relay.api('GET', '/api/outbox', token=admin, expect=200)
        self.assertEqual([r['kind'] for r in rows], ['invitation'])


class TlsTest(MailTestCase):
    def make_certificate(self):
        cert = os.path.join(self.work.path, 'cert.pem')
        key = os.path.join(self.work.path, 'key.pem')
        subprocess.run(['openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2',
                        '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1',
                        '-keyout', key, '-out', cert], check=True, capture_output=True)
        return cert, key

    def test_starttls_required_with_self_signed_ca(self):
        cert, key = self.make_certificate()
        self.smtp = self.work.smtp(tls=(cert, key))
        config = (f'[smtp]\nurl = smtp://127.0.0.1:{self.smtp.port}\nfrom = OmniLive <noreply@omnilive.test>\n'
                  f'ca_file = {cert}\n[mail]\nretry_initial_seconds = 1\n')
        relay = self.work.relay(config, host_name=HOST_NAME, host_email=HOST_EMAIL).start()
        relay.create_session('Over TLS', [('ann@example.com', 'Ann'), ('bob@example.com', 'Bob')])
        messages = self.smtp.wait_messages(2)
        self.assertEqual(messages[0]['Subject'], 'Invitation: Over TLS')

    def test_login_after_starttls(self):
        cert, key = self.make_certificate()
        self.smtp = self.work.smtp(tls=(cert, key), auth='relay@omnilive.test:pa55word')
        password_file = os.path.join(self.work.path, 'smtp-password')
        with open(password_file, 'w') as f:
            f.write('pa55word\n')
        config = (f'[smtp]\nurl = smtp://127.0.0.1:{self.smtp.port}\nfrom = OmniLive <noreply@omnilive.test>\n'
                  f'ca_file = {cert}\nusername = relay@omnilive.test\npassword_file = {password_file}\n'
                  f'[mail]\nretry_initial_seconds = 1\n')
        relay = self.work.relay(config, host_name=HOST_NAME, host_email=HOST_EMAIL).start()
        relay.create_session('Logged in', [('ann@example.com', 'Ann')])
        (m,) = self.smtp.wait_messages(1)
        self.assertEqual(m['Subject'], 'Invitation: Logged in')

        # A wrong password is the relay's problem, not the invitee's: retried.
        with open(password_file, 'w') as f:
            f.write('wrong\n')
        relay.stop()
        relay.start()
        session = relay.create_session('Wrong login', [('bob@example.com', 'Bob')])
        state = relay.wait_mail_state(session['_id'], 'bob@example.com', lambda s: s['attempts'] >= 1)
        self.assertEqual(state['state'], 'queued')
        self.assertTrue(state['lastError'])

    def test_untrusted_certificate_is_not_used(self):
        cert, key = self.make_certificate()
        self.smtp = self.work.smtp(tls=(cert, key))
        config = (f'[smtp]\nurl = smtp://127.0.0.1:{self.smtp.port}\nfrom = OmniLive <noreply@omnilive.test>\n'
                  f'[mail]\nretry_initial_seconds = 1\n')
        relay = self.work.relay(config, host_name=HOST_NAME, host_email=HOST_EMAIL).start()
        session = relay.create_session('Untrusted', [('ann@example.com', 'Ann')])
        state = relay.wait_mail_state(session['_id'], 'ann@example.com', lambda s: s['attempts'] >= 1)
        self.assertEqual(state['state'], 'queued')
        self.assertTrue(state['lastError'])
        self.assertEqual(self.smtp.files(), [])


class FaultTest(MailTestCase):
    def test_smtp_down_then_up_is_delivered_after_retry(self):
        port = free_port()
        relay = self.work.relay(smtp_config(port), host_name=HOST_NAME, host_email=HOST_EMAIL).start()
        session = relay.create_session('Retry me', [('ann@example.com', 'Ann')])
        state = relay.wait_mail_state(session['_id'], 'ann@example.com', lambda s: s['attempts'] >= 1,
                                      what='a failed first attempt')
        self.assertEqual(state['state'], 'queued')
        self.assertRegex(state['lastError'], re.compile('connect', re.I))

        smtp = self.work.smtp(port=port)
        (m,) = smtp.wait_messages(1, timeout=20)
        self.assertEqual(m['Subject'], 'Invitation: Retry me')
        state = relay.wait_mail_state(session['_id'], 'ann@example.com', lambda s: s['state'] == 'sent')
        self.assertGreaterEqual(state['attempts'], 2)
        self.assertIsNone(state['lastError'])

    def test_cancel_stops_what_is_still_queued(self):
        port = free_port()
        relay = self.work.relay(smtp_config(port), host_name=HOST_NAME, host_email=HOST_EMAIL).start()
        session = relay.create_session('Called off', [('ann@example.com', 'Ann')])
        sid = session['_id']
        relay.wait_mail_state(sid, 'ann@example.com', lambda s: s['attempts'] >= 1)
        relay.api('POST', f'/api/sessions/{sid}/cancel', expect=200)
        admin = relay.add_host('admin@example.com', 'Admin', admin=True)
        rows = {r['kind']: r for r in relay.api('GET', f'/api/outbox?sessionId={sid}', token=admin, expect=200)}
        self.assertEqual(rows['invitation']['state'], 'failed')
        self.assertIn('cancelled', rows['invitation']['lastError'])
        self.assertEqual(rows['cancelled']['state'], 'queued')

        smtp = self.work.smtp(port=port)
        (m,) = smtp.wait_messages(1, timeout=20)
        self.assertEqual(m['Subject'], 'Cancelled: Called off')
        relay.wait_mail_state(sid, 'ann@example.com', lambda s: s['state'] == 'sent' and s['kind'] == 'cancelled')
        self.assertEqual(len(smtp.files()), 1)

    def test_550_fails_for_good_and_others_still_go(self):
        relay = self.start()
        session = relay.create_session('Partly', [('reject@example.com', 'Nobody'), ('ann@example.com', 'Ann')])
        sid = session['_id']
        state = relay.wait_mail_state(sid, 'reject@example.com', lambda s: s['state'] == 'failed')
        self.assertEqual(state['attempts'], 1)
        self.assertIn('550', state['lastError'])
        (m,) = self.smtp.wait_messages(1)
        self.assertEqual(m['X-RcptTo'], 'ann@example.com')
        # Not retried: the retry delay (1 s) passes twice without a new attempt.
        time.sleep(2.5)
        self.assertEqual(relay.mail_states(sid)['reject@example.com']['attempts'], 1)

        # The host can resend by hand (here it fails again, for good).
        relay.api('POST', f'/api/sessions/{sid}/resend', {'email': 'reject@example.com'}, expect=202)
        state = relay.wait_mail_state(sid, 'reject@example.com',
                                      lambda s: s['state'] == 'failed' and s['attempts'] == 1)
        admin = relay.add_host('admin@example.com', 'Admin', admin=True)
        rows = relay.api('GET', f'/api/outbox?sessionId={sid}&state=failed', token=admin, expect=200)
        self.assertEqual(len(rows), 2)

    def test_4xx_is_retried(self):
        relay = self.start()
        session = relay.create_session('Later', [('tempfail@example.com', 'Busy')])
        state = relay.wait_mail_state(session['_id'], 'tempfail@example.com', lambda s: s['attempts'] >= 2,
                                      timeout=20, what='a second attempt after 451')
        self.assertEqual(state['state'], 'queued')
        self.assertIn('451', state['lastError'])


class CrashTest(MailTestCase):
    def test_kill9_with_100_queued_delivers_each_exactly_once(self):
        # After 20 messages the server stalls every connection in RCPT, before
        # a message can be accepted: the relay dies with messages in flight on
        # each connection and most still queued. (A crash in the microseconds
        # between a server's 250 and the relay's commit cannot be told apart
        # from one before the 250; SMTP offers no way to ask.)
        self.smtp = self.work.smtp(hold_after=20, hold_seconds=3)
        relay = self.work.relay(smtp_config(self.smtp.port), host_name=HOST_NAME, host_email=HOST_EMAIL).start()
        admin = relay.add_host('admin@example.com', 'Admin', admin=True)
        invitees = [(f'guest{i:03d}@example.com', f'Guest {i}') for i in range(100)]
        relay.create_session('Big webinar', invitees)
        wait_for(lambda: os.path.exists(self.smtp.hold_marker), 20, 'the server to hold')

        def settled():
            sent = len(relay.api('GET', '/api/outbox?state=sent&limit=1000', token=admin, expect=200))
            return sent == len(self.smtp.files()) and sent
        delivered = wait_for(settled, 10, 'accepted messages to be marked sent')
        relay.kill9()
        self.assertGreaterEqual(delivered, 20)
        self.assertLess(delivered, 60)

        relay.start()
        messages = self.smtp.wait_messages(100, timeout=30)
        recipients = [m['X-RcptTo'] for m in messages]
        self.assertEqual(sorted(recipients), sorted(e for e, _ in invitees))
        self.assertEqual(len(set(m['Message-ID'] for m in messages)), 100)
        # Nothing more comes: every row is marked sent.
        wait_for(lambda: len(relay.api('GET', '/api/outbox?state=sent&limit=1000', token=admin, expect=200)) == 100,
                 10, 'all 100 rows marked sent')
        self.assertEqual(len(self.smtp.files()), 100)


class LocalTest(MailTestCase):
    def test_without_smtp_mail_is_saved_as_eml(self):
        relay = self.work.relay('', host_name=HOST_NAME, host_email=HOST_EMAIL).start()
        session = relay.create_session('Local only', [('ann@example.com', 'Ann')])
        mail_dir = os.path.join(relay.data_dir, 'mail')
        def eml_files():
            return os.path.isdir(mail_dir) and [n for n in os.listdir(mail_dir) if n.endswith('.eml')]
        (name,) = wait_for(eml_files, 10, 'an .eml file')
        import email as email_package
        import email.policy
        with open(os.path.join(mail_dir, name), 'rb') as f:
            m = email_package.message_from_bytes(f.read(), policy=email.policy.default)
        self.assertEqual(m['Subject'], 'Invitation: Local only')
        relay.wait_mail_state(session['_id'], 'ann@example.com', lambda s: s['state'] == 'sent')
        self.assertEqual(relay.log().count('mail is saved locally, not sent'), 1)

    def test_eml_batches_survive_kill9_each_saved_once(self):
        # Saved messages are marked sent a batch at a time, after their files
        # are written: a crash between the two saves the same files again
        # (named by row id), never loses one, and every row ends up sent.
        relay = self.work.relay('', host_name=HOST_NAME, host_email=HOST_EMAIL).start()
        invitees = [(f'guest{i:03d}@example.com', f'Guest {i}') for i in range(150)]
        session = relay.create_session('Big local webinar', invitees)
        mail_dir = os.path.join(relay.data_dir, 'mail')
        def eml_files():
            return sorted(n for n in os.listdir(mail_dir) if n.endswith('.eml')) if os.path.isdir(mail_dir) else []
        wait_for(eml_files, 10, 'a first .eml file')
        relay.kill9()

        relay.start()
        def all_sent():
            states = relay.mail_states(session['_id'])
            return all(s and s['state'] == 'sent' for s in states.values()) and states
        states = wait_for(all_sent, 30, 'every invitation marked sent')
        self.assertEqual(sorted(states), sorted(e for e, _ in invitees))
        self.assertTrue(all(s['attempts'] >= 1 for s in states.values()))
        names = eml_files()
        self.assertEqual(len(names), 150)
        import email as email_package
        import email.policy
        recipients = []
        for name in names:
            with open(os.path.join(mail_dir, name), 'rb') as f:
                recipients.append(email_package.message_from_bytes(f.read(), policy=email.policy.default)['To'])
        self.assertEqual(sorted(r.addresses[0].addr_spec for r in recipients), sorted(e for e, _ in invitees))

    def test_worker_yields_to_the_api(self):
        # The mail worker runs niced, the API's thread does not.
        relay = self.work.relay('', host_name=HOST_NAME, host_email=HOST_EMAIL).start()
        tasks = os.path.join('/proc', str(relay.proc.pid), 'task')
        def nice_of(name):
            for tid in os.listdir(tasks):
                with open(os.path.join(tasks, tid, 'comm')) as f:
                    if f.read().strip() == name:
                        return os.getpriority(os.PRIO_PROCESS, int(tid))
            return None
        base = os.getpriority(os.PRIO_PROCESS, relay.proc.pid)
        self.assertEqual(wait_for(lambda: nice_of('relay-mail'), 10, 'the mail worker'), min(base + 10, 19))
        self.assertEqual(nice_of('omnilive-relay'), base)

    def test_template_override_in_config_dir(self):
        os.makedirs(os.path.join(self.work.path, 'mail'))
        with open(os.path.join(self.work.path, 'mail', 'invitation.txt'), 'w') as f:
            f.write('Subject: Come to {{title}}\n\nSee you at {{joinUrl}}\n')
        relay = self.start()
        session = relay.create_session('Party', [('ann@example.com', 'Ann')])
        (m,) = self.smtp.wait_messages(1)
        self.assertEqual(m['Subject'], 'Come to Party')
        self.assertEqual(parts(m)['text/plain'].get_content().strip(), 'See you at ' + session['joinUrl'])
        # The HTML part still comes from the installed template.
        self.assertIn('Join Session</a>', parts(m)['text/html'].get_content())

    def test_broken_override_stops_the_relay(self):
        os.makedirs(os.path.join(self.work.path, 'mail'))
        with open(os.path.join(self.work.path, 'mail', 'started.html'), 'w') as f:
            f.write('<p>{{#title}}never closed</p>\n')
        smtp = self.work.smtp()
        relay = self.work.relay(smtp_config(smtp.port))
        with self.assertRaises(AssertionError):
            relay.start()
        self.assertIn('started.html', relay.log())

    def test_bad_config_stops_the_relay(self):
        smtp = self.work.smtp()
        for bad, words in [('[smtp]\nurl = http://127.0.0.1:25\nfrom = a@example.com\n', 'smtp://'),
                           (f'[smtp]\nurl = smtp://127.0.0.1:{smtp.port}\n', 'from'),
                           ('[mail]\ntimezone = Mars/Olympus_Mons\n', 'time zone'),
                           ('[mail]\nreminder_minutes = soon\n', 'reminder_minutes'),
                           ('[smtp]\nconnections = 0\n', 'connections')]:
            work = Workdir()
            try:
                relay = work.relay(bad)
                with self.assertRaises(AssertionError, msg=bad):
                    relay.start()
                self.assertIn(words, relay.log(), bad)
            finally:
                work.cleanup()

    def test_resend_and_outbox_access(self):
        relay = self.start()
        session = relay.create_session('Again', [('ann@example.com', 'Ann')])
        sid = session['_id']
        (first,) = self.smtp.wait_messages(1)
        relay.api('POST', f'/api/sessions/{sid}/resend', expect=202)
        both = self.smtp.wait_messages(2)
        self.assertEqual([m['Subject'] for m in both], [first['Subject']] * 2)
        self.assertEqual(len({m['Message-ID'] for m in both}), 2)
        relay.api('GET', '/api/outbox', expect=403)
        admin = relay.add_host('admin@example.com', 'Admin', admin=True)
        rows = relay.api('GET', f'/api/outbox?sessionId={sid}', token=admin, expect=200)
        self.assertEqual([r['email'] for r in rows], ['ann@example.com'] * 2)
        self.assertRegex(rows[0]['createdAt'], r'^\d{4}-\d\d-\d\dT.*Z$')
        relay.api('GET', '/api/outbox?state=bogus', token=admin, expect=400)
        other = relay.add_host('other@example.com', 'Other')
        relay.api('POST', f'/api/sessions/{sid}/resend', token=other, expect=404)


if __name__ == '__main__':
    unittest.main(verbosity=2)
