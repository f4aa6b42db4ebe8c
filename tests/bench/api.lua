-- api.lua — JSON POSTs of valid tips (SPEC 4, 5.1) to the URL wrk was
-- given: tipline's /report/api/v1/tips (201 each) or the baseline. Bodies
-- vary per request (concerns, lengths, optional fields, priority); no
-- Idempotency-Key, so every 201 is a new tip. Usage: see common.lua.
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") ..
    "common.lua")

local concerns = {
	'["dealing"]',
	'["cuckooing","child_exploitation"]',
	'["dealing","weapons"]',
	'["other"]',
	'["child_exploitation","cuckooing","dealing"]',
}
local places = {
	"Car park behind the leisure centre",
	"Flat above the launderette on the high street",
	"Bus shelter opposite the railway station",
	"Alley between the chip shop and the bookmaker",
}
local whens = { "now", "today", "this_week", "this_month", "earlier",
	"ongoing" }
local answers = { "yes", "no", "unsure" }
local headers = { ["Content-Type"] = "application/json" }
local n = 0

function thread_init(args)
	n = (tid or 0) * 1000000
end

function make_request()
	n = n + 1
	local i = n % 997
	local parts = {
		'{"concerns":', concerns[i % #concerns + 1],
		',"description":"Bench tip ', tostring(n),
		': young people arrive by train on Fridays and ',
		string.rep("visit the same door several times, ", i % 7 + 1),
		'then leave quickly."',
		',"location":"', places[i % #places + 1], '"',
	}
	if i % 2 == 0 then
		parts[#parts + 1] = ',"postcode":"SO14 3JJ"'
	end
	if i % 3 == 0 then
		parts[#parts + 1] = ',"when":"' .. whens[i % #whens + 1] .. '"'
	end
	if i % 5 == 0 then
		parts[#parts + 1] = ',"child_at_risk":"' ..
		    answers[i % #answers + 1] .. '"'
	end
	if i % 4 == 1 then
		parts[#parts + 1] = ',"phones":"07700 900' ..
		    string.format("%03d", i) .. '"'
	end
	if i % 6 == 1 then
		parts[#parts + 1] = ',"vehicles":"Silver hatchback, ' ..
		    'partial plate AB12"'
	end
	parts[#parts + 1] = "}"
	return wrk.format("POST", nil, headers, table.concat(parts))
end
