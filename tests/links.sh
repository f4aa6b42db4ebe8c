#!/bin/sh
# links.sh BUILD — the split of SPEC 2, visible in the binaries: each
# program links only the libraries it uses and only the parts of lib/ it
# needs. Fails naming what a program should not hold.
set -u
b=${1:-build}
fail=0
# has PROG KIND NAME: does PROG need library NAME / define symbol NAME?
needs() { readelf -d "$b/$1" | grep -q "NEEDED.*\[$2"; }
defines() { nm "$b/$1" | grep -q " T $2\$"; }
refuse() {
	echo "links: $1 $2 $3"; fail=1
}
for lib in libcurl; do
	needs tipline.fcgi "$lib" && refuse tipline.fcgi links "$lib"
done
for lib in libfcgi libcurl; do
	needs tiplinectl "$lib" && refuse tiplinectl links "$lib"
done
needs tipline-notify libfcgi && refuse tipline-notify links libfcgi
# The desk (SPEC 12): no libcurl, none of the public form's intake, and
# the public programs none of the desk.
needs tipline-staff.fcgi libcurl && refuse tipline-staff.fcgi links libcurl
for sym in tl_intake_form tl_page_form tl_outbox_lease tl_webhook_sign; do
	defines tipline-staff.fcgi "$sym" && refuse tipline-staff.fcgi holds \
	    "$sym"
done
for prog in tipline.fcgi tipline-notify; do
	for sym in tl_desk_app_handle tl_desk_ingest tl_desk_check; do
		defines "$prog" "$sym" && refuse "$prog" holds "$sym"
	done
done
defines tipline-staff.fcgi tl_desk_app_handle || refuse tipline-staff.fcgi \
    lacks tl_desk_app_handle
for sym in tl_urlenc_parse tl_report_from_json tl_report_validate \
    tl_report_set tl_intake_form tl_page_form; do
	defines tipline-notify "$sym" && refuse tipline-notify holds "$sym"
done
for sym in tl_outbox_lease tl_outbox_finish tl_webhook_body \
    tl_webhook_sign; do
	defines tipline.fcgi "$sym" && refuse tipline.fcgi holds "$sym"
done
# A check that cannot fail is no check: the symbols looked for exist.
defines tipline.fcgi tl_report_validate || refuse tipline.fcgi lacks \
    tl_report_validate
defines tipline-notify tl_outbox_lease || refuse tipline-notify lacks \
    tl_outbox_lease
needs tipline-notify libcurl || refuse tipline-notify lacks libcurl
[ $fail -eq 0 ] && echo "links: 4 programs hold only what they use"
exit $fail
