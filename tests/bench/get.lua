-- get.lua — GET the URL wrk was given (tipline's form or the baseline),
-- with the counting and clean stop of common.lua. Usage: see common.lua.
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") ..
    "common.lua")

local req

function make_request()
	if not req then
		req = wrk.format("GET")
	end
	return req
end
