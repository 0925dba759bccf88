-- wrk script: POST /api/sessions with a seed-shaped body and the bench token.
local token = os.getenv("BENCH_TOKEN")
local start = os.date("!%Y-%m-%dT%H:%M:%SZ", os.time() + 7200)
local finish = os.date("!%Y-%m-%dT%H:%M:%SZ", os.time() + 9000)
wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer " .. token
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"title":"Customer Support Call","description":"Technical support session",' ..
  '"sessionType":"support_call","scheduledStartTime":"' .. start .. '","scheduledEndTime":"' .. finish .. '",' ..
  '"participants":[{"email":"customer@example.com","name":"John Doe"}],"maxParticipants":10,"enableRecording":false}'

local failures = 0
response = function(status, headers, body)
  if status ~= 201 then failures = failures + 1 end
end
done = function(summary, latency, requests)
  io.stderr:write(string.format("non-201 responses: %d\n", failures))
end
