#!/usr/bin/python3
"""Stores N upcoming sessions through the API (keep-alive), for ./omni bench api."""
import datetime
import http.client
import json
import sys
import urllib.parse

url, token, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
parts = urllib.parse.urlsplit(url)
conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
now = datetime.datetime.now(datetime.timezone.utc)
headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
for i in range(count):
    start = now + datetime.timedelta(hours=1, minutes=i)
    body = {
        "title": f"Support call {i}",
        "sessionType": "support_call",
        "scheduledStartTime": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "scheduledEndTime": (start + datetime.timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "participants": [{"email": f"customer{i}@example.com", "name": f"Customer {i}"}],
    }
    conn.request("POST", "/api/sessions", json.dumps(body), headers)
    response = conn.getresponse()
    response.read()
    if response.status != 201:
        sys.exit(f"seeding failed at {i}: HTTP {response.status}")
