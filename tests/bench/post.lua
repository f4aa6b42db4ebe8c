-- post.lua — urlencoded form POSTs of valid tips to tipline's form
-- (SPEC 4, 5.4), each with a fresh token from a file that mktokens wrote
-- (one a line, issued a few seconds ago). wrk's threads take every Nth
-- token, so no token is ever sent twice (a second use would be answered
-- with the first receipt and store nothing). If the list runs out, the
-- request goes without a token (422, stores nothing) and is counted as
-- `exhausted`. Usage: see common.lua; the extra argument is the file.
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") ..
    "common.lua")

local tokens, next_token = {}, 1
local headers = { ["Content-Type"] = "application/x-www-form-urlencoded" }
local concerns = {
	"concerns=dealing",
	"concerns=cuckooing&concerns=child_exploitation",
	"concerns=dealing&concerns=weapons",
	"concerns=other",
}
local places = {
	"Car+park+behind+the+leisure+centre",
	"Flat+above+the+launderette+on+the+high+street",
	"Bus+shelter+opposite+the+railway+station",
}
local whens = { "now", "today", "this_week", "ongoing" }
local n = 0

function thread_init(args)
	local path = args[1] or error("post.lua: no token file")
	local i, me, all = 0, tid, nthreads
	for line in io.lines(path) do
		if i % all == me and line ~= "" then
			tokens[#tokens + 1] = line
		end
		i = i + 1
	end
	n = me * 1000000
end

function make_request()
	local tok = tokens[next_token]
	if tok then
		next_token = next_token + 1
	else
		tok = ""
		exhausted = exhausted + 1
	end
	n = n + 1
	local i = n % 997
	local body = table.concat({
		concerns[i % #concerns + 1],
		"&description=Bench+tip+", tostring(n),
		"%3A+a+car+stops+outside+number+", tostring(i),
		"+every+evening+and+people+queue+for+a+minute+or+two.",
		"&location=", places[i % #places + 1],
		"&postcode=", (i % 2 == 0) and "so143jj" or "",
		"&when=", whens[i % #whens + 1],
		(i % 5 == 0) and "&child_at_risk=unsure" or "",
		"&token=", tok,
		"&website=",
	})
	return wrk.format("POST", nil, headers, body)
end
