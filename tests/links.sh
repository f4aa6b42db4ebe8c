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
# The crypto boundary (SPEC 16). The staff half of the crypto module and
# of the tip (lib/*_staff.c: the staff key files, opening a seal or a
# sealed file, tl_tip_unseal) is refused by name in the public programs:
# every function its objects export, none of it in tipline.fcgi or
# tipline-notify; nor may they import what opens a seal.
src=$(dirname "$0")/../lib
staff=
for c in "$src"/*_staff.c; do
	o=$b/lib/$(basename "$c" .c).o
	[ -f "$o" ] || { refuse "$o" is missing; continue; }
	staff="$staff $(nm -g --defined-only "$o" | awk '$2 == "T" {print $3}')"
done
for sym in tl_seal_open tl_seal_secret_read tl_seal_secret_parse \
    tl_seal_file_read tl_tip_unseal; do
	echo "$staff" | tr ' ' '\n' | grep -qx "$sym" || refuse "the staff" \
	    "half lacks" "$sym"
	defines tipline-staff.fcgi "$sym" || defines tiplinectl "$sym" ||
	    refuse "the staff programs" lack "$sym"
done
opening="crypto_box_seal_open crypto_secretstream_xchacha20poly1305_init_pull"
for prog in tipline.fcgi tipline-notify; do
	held=$(nm "$b/$prog" | awk '$2 == "T" {print $3}')
	for sym in $staff; do
		echo "$held" | grep -qx "$sym" && refuse "$prog" holds "$sym"
	done
	imports=$(nm -D --undefined-only "$b/$prog" | awk '{print $2}' |
	    sed 's/@.*//')
	for sym in $opening; do
		echo "$imports" | grep -qx "$sym" && refuse "$prog" imports \
		    "$sym"
	done
	echo "$imports" | grep -qx crypto_box_seal || refuse "$prog" \
	    "lacks (so the import check reads nothing)" crypto_box_seal
done
# Every libsodium primitive is called from the crypto module (seal.c,
# seal_staff.c) and nowhere else: no other object of lib/ imports a
# crypto_* or randombytes_* symbol.
for c in "$src"/*.c; do
	case $(basename "$c") in seal.c|seal_staff.c) continue ;; esac
	o=$b/lib/$(basename "$c" .c).o
	[ -f "$o" ] || { refuse "$o" is missing; continue; }
	for sym in $(nm -u "$o" | awk '{print $2}' |
	    grep -E '^(crypto_|randombytes_)'); do
		refuse "lib/$(basename "$o")" calls "$sym"
	done
done
[ $fail -eq 0 ] && echo "links: 4 programs hold only what they use;" \
    "the public ones none of the staff half's $(echo $staff | wc -w)" \
    "functions; libsodium only from the crypto module"
exit $fail
