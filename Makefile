# tipline — see README.md. `make demo` runs the stack, `make check` tests it.

BUILD	?= build
PREFIX	?= /usr/local
CC	?= cc
CFLAGS	?= -O2 -g
WARN	= -std=c11 -Wall -Wextra -Werror -Wshadow -Wpointer-arith \
	  -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 -Wvla
CPPFLAGS += -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -Ilib
ifeq ($(SAN),1)
CFLAGS	+= -O1 -fsanitize=address,undefined -fno-omit-frame-pointer \
	   -fno-sanitize-recover=all
LDFLAGS	+= -fsanitize=address,undefined
endif

pc	= $(shell pkg-config --libs $(1) 2>/dev/null || echo $(2))
LIBS_FCGI	= $(call pc,fcgi,-lfcgi)
LIBS_CURL	= $(call pc,libcurl,-lcurl)
LIBS_CORE	= $(call pc,jansson libsodium sqlite3,-ljansson -lsodium -lsqlite3) \
		  -lpthread
LIBS_TEST	= $(call pc,cmocka,-lcmocka)

LIB_SRC	= $(wildcard lib/*.c)
LIB_OBJ	= $(LIB_SRC:%.c=$(BUILD)/%.o)
LIBA	= $(BUILD)/libtipline.a
FCGI	= $(BUILD)/tipline.fcgi
CTL	= $(BUILD)/tiplinectl
NOTIFY	= $(BUILD)/tipline-notify
STAFF	= $(BUILD)/tipline-staff.fcgi
UNIT_SRC = $(wildcard tests/unit/test_*.c)
UNIT	= $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
PROGS	= $(FCGI) $(CTL) $(if $(wildcard notify/main.c),$(NOTIFY)) $(STAFF)

.PHONY: all deps check unit e2e browser san valgrind demo clean
.SECONDARY:
all: $(PROGS)

deps:
	@scripts/deps

$(BUILD)/%.o: %.c $(wildcard lib/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -c -o $@ $<

$(LIBA): $(LIB_OBJ)
	rm -f $@
	ar rcs $@ $^

# Each program links only what it uses: tipline.fcgi has no libcurl,
# tipline-notify no libfcgi.
$(FCGI): $(BUILD)/cgi/main.o $(LIBA)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS_FCGI) $(LIBS_CORE)
$(CTL): $(BUILD)/ctl/main.o $(LIBA)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS_CORE)
$(NOTIFY): $(BUILD)/notify/main.o $(LIBA)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS_CURL) $(LIBS_CORE)
# The desk (SPEC 12): FastCGI, no libcurl.
$(STAFF): $(BUILD)/staff/main.o $(LIBA)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS_FCGI) $(LIBS_CORE)

$(BUILD)/tests/%: $(BUILD)/tests/unit/%.o $(LIBA)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS_TEST) $(LIBS_CURL) $(LIBS_CORE)

unit: $(UNIT)
	@tests/run-unit $(UNIT)

E2E	= $(wildcard tests/e2e/run.py tests/e2e/notify.py tests/e2e/ctl.py \
	  tests/e2e/watch.py tests/e2e/deploy.py tests/e2e/sealed.py \
	  tests/e2e/attack.py tests/e2e/desk.py tests/e2e/followup.py \
	  $(sort $(wildcard tests/e2e/trust_*.py)) \
	  $(sort $(wildcard tests/e2e/ops_*.py)))
# A test-only helper of the end-to-end suites (tests/e2e/redate.c).
$(BUILD)/tests/redate: $(BUILD)/tests/e2e/redate.o $(LIBA)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS_CORE)

# And the sender's side of a follow-up for the desk's (tests/e2e/sender.c).
$(BUILD)/tests/sender: $(BUILD)/tests/e2e/sender.o $(LIBA)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS_CORE)

# And a tip forged as a takeover of tipline.fcgi could (tests/e2e/forge.c).
$(BUILD)/tests/forge: $(BUILD)/tests/e2e/forge.o $(LIBA)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS_CORE)

e2e: all $(BUILD)/tests/redate $(BUILD)/tests/sender $(BUILD)/tests/forge
	@rc=0; for t in $(E2E); do \
		python3 $$t --build $(BUILD) || rc=1; done; exit $$rc

# Real-browser tests (issue 7): Debian's chromium (scripts/deps) driven by
# playwright-core, with axe-core, both pinned in tests/browser's lock file.
# npm ci runs when node_modules is missing or the lock changed since.
# Anything missing (node 20 or later, npm, the registry, chromium) FAILS:
# scripts/deps installs node and npm where they are missing, so a machine
# that can run the tests must run them. The only way past them is on
# purpose, TIPLINE_SKIP_BROWSER=1, which the summary line says.
BROWSER	= tests/browser
BROWSER_NODE_MAJOR = 20
BROWSER_HINT = (run scripts/deps, or set TIPLINE_SKIP_BROWSER=1 to skip \
	the browser tests on purpose)
browser: all
	@if [ "$(TIPLINE_SKIP_BROWSER)" = 1 ]; then \
		echo "browser: SKIPPED on purpose (TIPLINE_SKIP_BROWSER=1):" \
		    "the browser tests did not run"; exit 0; fi; \
	for c in node npm; do command -v $$c >/dev/null 2>&1 || { \
		echo "browser: FAILED: $$c not found $(BROWSER_HINT)"; \
		exit 1; }; done; \
	v=$$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null); \
	[ "$${v:-0}" -ge $(BROWSER_NODE_MAJOR) ] 2>/dev/null || { \
		echo "browser: FAILED: node $$(node --version) is older than" \
		    "v$(BROWSER_NODE_MAJOR), which playwright-core needs" \
		    "(Debian bookworm's nodejs is 18: install Node.js" \
		    "$(BROWSER_NODE_MAJOR) or later, or set" \
		    "TIPLINE_SKIP_BROWSER=1 to skip the browser tests on" \
		    "purpose)"; exit 1; }; \
	if ! cmp -s $(BROWSER)/package-lock.json \
	    $(BROWSER)/node_modules/.tipline-lock; then \
		if ! (cd $(BROWSER) && npm ci --no-audit --no-fund); then \
			echo "browser: FAILED: npm could not install the" \
			    "pinned playwright-core and axe-core (above)" \
			    "$(BROWSER_HINT)"; exit 1; fi; \
		cp $(BROWSER)/package-lock.json \
		    $(BROWSER)/node_modules/.tipline-lock || exit 1; fi; \
	node $(BROWSER)/run.mjs --build $(BUILD)

# The unit and end-to-end suites again under ASan and UBSan. Reports go to
# files under build-san/reports; any report fails the run.
SANREP	= $(CURDIR)/build-san/reports
san:
	rm -rf $(SANREP) && mkdir -p $(SANREP)
	ASAN_OPTIONS=log_path=$(SANREP)/asan:detect_leaks=1 \
	UBSAN_OPTIONS=log_path=$(SANREP)/ubsan:print_stacktrace=1 \
	    $(MAKE) BUILD=build-san SAN=1 unit e2e
	@if ls $(SANREP) | grep -q .; then cat $(SANREP)/*; \
		echo "san: sanitizer reports above"; exit 1; fi
	@echo "san: no sanitizer reports"

# The unit suite under valgrind: no errors, no definite leaks.
valgrind: $(UNIT)
	@for t in $(UNIT); do \
		valgrind -q --error-exitcode=1 --leak-check=full \
		    --errors-for-leak-kinds=definite $$t >/dev/null || \
		    { echo "valgrind: $$t failed"; exit 1; }; done
	@echo "valgrind: $(words $(UNIT)) unit binaries clean"

check: deps
	$(MAKE) all unit
	tests/links.sh $(BUILD)
	$(MAKE) e2e
	$(MAKE) browser
	$(MAKE) san
	$(MAKE) valgrind
	$(MAKE) lint-man
	$(MAKE) fuzz-replay
	tests/install.sh $(BUILD)
	@if [ "$(TIPLINE_SKIP_BROWSER)" = 1 ]; then \
		echo "check: passed, but the browser tests were SKIPPED on" \
		    "purpose (TIPLINE_SKIP_BROWSER=1)"; \
	else echo "check: passed, browser tests included"; fi

demo: deps
	$(MAKE) all
	deploy/local/up --port 8080 --state $(CURDIR)/tmp/demo

clean:
	rm -rf build build-*

# --- fuzz: libFuzzer targets, one per parser of outside input ------------
# (tests/fuzz/). `make fuzz` builds them with clang's libFuzzer and runs
# each for FUZZ_SECONDS (`make -j2 fuzz` runs two at once); new inputs go
# to build-fuzz/corpus/, crashes to build-fuzz/artifacts/. `make
# fuzz-replay` (part of `make check`) replays tests/fuzz/corpus/ with gcc
# under ASan and UBSan, no libFuzzer needed. The library is compiled again
# here with the same sanitizers, never taken from build/ (with clang, its
# warnings do not stop the build: gcc's -Werror build is the one that
# judges lib/).
FUZZ_DIR	= build-fuzz
FUZZ_TARGETS	= fuzz_urlenc fuzz_json fuzz_token fuzz_normalise \
		  fuzz_config fuzz_page fuzz_summary fuzz_app fuzz_seal \
		  fuzz_cat fuzz_entity fuzz_intake
FUZZ_SECONDS	?= 60
FUZZ_CLANG	?= clang
FUZZ_SAN	= -O1 -g -fno-omit-frame-pointer \
		  -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_CPPFLAGS	= $(CPPFLAGS) -Itests/fuzz \
		  -DTL_FUZZ_TEMPLATES='"$(CURDIR)/templates"'
FUZZ_HDRS	= $(wildcard lib/*.h tests/fuzz/*.h)
FUZZ_LIB_HDRS	= $(wildcard lib/*.h)
FUZZ_GCC_LIB	= $(LIB_SRC:%.c=$(FUZZ_DIR)/gcc/%.o)
FUZZ_CL_LIB	= $(LIB_SRC:%.c=$(FUZZ_DIR)/clang/%.o)
FUZZ_DICT_fuzz_urlenc	= tests/fuzz/urlenc.dict
FUZZ_DICT_fuzz_page	= tests/fuzz/urlenc.dict
FUZZ_DICT_fuzz_summary	= tests/fuzz/urlenc.dict
FUZZ_DICT_fuzz_json	= tests/fuzz/json.dict
FUZZ_DICT_fuzz_config	= tests/fuzz/config.dict
FUZZ_DICT_fuzz_cat	= tests/fuzz/cat.dict
FUZZ_DICT_fuzz_app	= $(FUZZ_DIR)/app-all.dict

.PHONY: fuzz fuzz-replay fuzz-build
$(FUZZ_DIR)/gcc/lib/%.o: lib/%.c $(FUZZ_LIB_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(FUZZ_CPPFLAGS) $(FUZZ_SAN) $(WARN) -c -o $@ $<
$(FUZZ_DIR)/gcc/tests/fuzz/%.o: tests/fuzz/%.c $(FUZZ_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(FUZZ_CPPFLAGS) $(FUZZ_SAN) $(WARN) -c -o $@ $<
$(FUZZ_DIR)/gcc/libtipline.a: $(FUZZ_GCC_LIB)
	rm -f $@ && ar rcs $@ $^
$(FUZZ_DIR)/replay-%: $(FUZZ_DIR)/gcc/tests/fuzz/%.o \
    $(FUZZ_DIR)/gcc/tests/fuzz/replay.o $(FUZZ_DIR)/gcc/libtipline.a
	$(CC) $(FUZZ_SAN) -o $@ $^ $(LIBS_CORE)
$(FUZZ_DIR)/clang/lib/%.o: lib/%.c $(FUZZ_LIB_HDRS)
	@mkdir -p $(dir $@)
	$(FUZZ_CLANG) $(FUZZ_CPPFLAGS) $(FUZZ_SAN) \
	    -fsanitize=fuzzer-no-link $(WARN) -Wno-error -c -o $@ $<
$(FUZZ_DIR)/clang/libtipline.a: $(FUZZ_CL_LIB)
	rm -f $@ && ar rcs $@ $^
$(FUZZ_DIR)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_HDRS) \
    $(FUZZ_DIR)/clang/libtipline.a
	$(FUZZ_CLANG) $(FUZZ_CPPFLAGS) $(FUZZ_SAN) -fsanitize=fuzzer \
	    $(WARN) -o $@ $< $(FUZZ_DIR)/clang/libtipline.a $(LIBS_CORE)
$(FUZZ_DIR)/app-all.dict: tests/fuzz/urlenc.dict tests/fuzz/json.dict \
    tests/fuzz/app.dict
	@mkdir -p $(dir $@)
	cat $^ >$@
fuzz-build: $(addprefix $(FUZZ_DIR)/,$(FUZZ_TARGETS) app-all.dict)
fuzz-run-%: fuzz-build
	@mkdir -p $(FUZZ_DIR)/corpus/$* $(FUZZ_DIR)/artifacts
	$(FUZZ_DIR)/$* -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
	    -artifact_prefix=$(FUZZ_DIR)/artifacts/$*- \
	    $(if $(FUZZ_DICT_$*),-dict=$(FUZZ_DICT_$*)) \
	    $(FUZZ_DIR)/corpus/$* tests/fuzz/corpus/$*
fuzz: $(addprefix fuzz-run-,$(FUZZ_TARGETS))
fuzz-replay: $(addprefix $(FUZZ_DIR)/replay-,$(FUZZ_TARGETS))
	@pass=0; fail=0; for t in $(FUZZ_TARGETS); do \
	    line=$$($(FUZZ_DIR)/replay-$$t tests/fuzz/corpus/$$t | tail -n 1); \
	    set -- $$(echo "$$line" | sed -n \
	        's/^.*: \([0-9]*\) passed, \([0-9]*\) failed$$/\1 \2/p'); \
	    [ $$# -eq 2 ] || { echo "  $$t: did not run"; set -- 0 1; }; \
	    [ -z "$$line" ] || echo "  $$line"; \
	    pass=$$((pass + $$1)); fail=$$((fail + $$2)); done; \
	echo "fuzz-replay: $$pass passed, $$fail failed"; [ $$fail -eq 0 ]
# --- end of fuzz ----------------------------------------------------------

# --- Installation (SPEC 8): `make && sudo make install`. -------------------
# Honours PREFIX (default /usr/local) and DESTDIR. The shipped systemd,
# nginx and example files name /usr/local; install rewrites that to PREFIX.
# With a PREFIX other than /usr/local, the installed example config also sets
# `templates` (the programs' built-in default is under /usr/local).
# uninstall removes exactly the files install puts there, and the folders
# that were tipline's alone.
BINDIR		= $(PREFIX)/bin
TL_SHAREDIR	= $(PREFIX)/share/tipline
TL_TMPLDIR	= $(TL_SHAREDIR)/templates
MANDIR		= $(PREFIX)/share/man
UNITDIR		= $(PREFIX)/lib/systemd/system
SYSUSERSDIR	= $(PREFIX)/lib/sysusers.d
TMPFILESDIR	= $(PREFIX)/lib/tmpfiles.d
TL_MAN5		= deploy/man/tipline.conf.5
TL_MAN8		= deploy/man/tipline.fcgi.8 deploy/man/tipline-notify.8 \
		  deploy/man/tiplinectl.8 deploy/man/tipline-staff.fcgi.8
TL_UNITS	= tipline.socket tipline.service tipline-notify.service \
		  tipline-purge.service tipline-purge.timer \
		  tipline-check.service tipline-check.timer \
		  tipline-staff.service tipline-staff-nginx.service
TL_NGINX	= tipline-http.conf tipline-server.conf tipline-onion.conf \
		  tipline-staff-http.conf tipline-staff-server.conf \
		  tipline-staff-nginx.conf
TL_EXTRA	= tor/tipline.torrc prometheus/tipline-alerts.yml
TL_SUBST	= sed -e 's|/usr/local/|$(PREFIX)/|g'
TL_SUBST_CONF	= $(TL_SUBST) $(if $(filter /usr/local,$(PREFIX)),, \
		  -e 's|^.templates = |templates = |')
# tl_put SRC DEST MODE: SRC through TL_SUBST(_CONF) into DEST, with MODE.
TL_PUT		= tl_put() { t=$$(mktemp) && $(TL_SUBST) "$$1" >"$$t" && \
		  install -m "$$3" "$$t" "$$2"; rc=$$?; rm -f "$$t"; \
		  return $$rc; }
TL_TMPL_FILES	= cd templates && find . -type f ! -name '.*'
TL_TMPL_DIRS	= cd templates && find . -mindepth 1 -depth -type d

.PHONY: install uninstall lint-man
install: all
	install -d -m 0755 $(DESTDIR)$(BINDIR) $(DESTDIR)$(TL_TMPLDIR) \
	    $(DESTDIR)$(TL_SHAREDIR)/nginx $(DESTDIR)$(MANDIR)/man5 \
	    $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(UNITDIR) \
	    $(DESTDIR)$(SYSUSERSDIR) $(DESTDIR)$(TMPFILESDIR)
	install -m 0755 $(PROGS) $(DESTDIR)$(BINDIR)/
	($(TL_TMPL_DIRS)) | while read -r d; do \
	    install -d -m 0755 "$(DESTDIR)$(TL_TMPLDIR)/$$d" || exit 1; done
	($(TL_TMPL_FILES)) | while read -r f; do \
	    install -m 0644 "templates/$$f" "$(DESTDIR)$(TL_TMPLDIR)/$$f" || \
	    exit 1; done
	install -m 0644 $(TL_MAN5) $(DESTDIR)$(MANDIR)/man5/
	install -m 0644 $(TL_MAN8) $(DESTDIR)$(MANDIR)/man8/
	@$(TL_PUT); set -e; \
	for u in $(TL_UNITS); do echo "install deploy/systemd/$$u"; \
	    tl_put deploy/systemd/$$u $(DESTDIR)$(UNITDIR)/$$u 0644; done; \
	for n in $(TL_NGINX); do echo "install deploy/nginx/$$n"; \
	    tl_put deploy/nginx/$$n $(DESTDIR)$(TL_SHAREDIR)/nginx/$$n 0644; \
	    done; \
	for x in $(TL_EXTRA); do echo "install deploy/$$x"; \
	    install -d -m 0755 $(DESTDIR)$(TL_SHAREDIR)/$$(dirname $$x); \
	    tl_put deploy/$$x $(DESTDIR)$(TL_SHAREDIR)/$$x 0644; done; \
	tl_put deploy/systemd/tipline.sysusers.conf \
	    $(DESTDIR)$(SYSUSERSDIR)/tipline.conf 0644; \
	tl_put deploy/systemd/tipline.tmpfiles.conf \
	    $(DESTDIR)$(TMPFILESDIR)/tipline.conf 0644
	t=$$(mktemp) && $(TL_SUBST_CONF) deploy/tipline.conf.example >"$$t" && \
	    install -m 0644 "$$t" $(DESTDIR)$(TL_SHAREDIR)/tipline.conf.example; \
	    rc=$$?; rm -f "$$t"; exit $$rc

uninstall:
	rm -f $(addprefix $(DESTDIR)$(BINDIR)/,$(notdir $(FCGI) $(CTL) $(NOTIFY) \
	    $(STAFF)))
	($(TL_TMPL_FILES)) | while read -r f; do \
	    rm -f "$(DESTDIR)$(TL_TMPLDIR)/$$f"; done
	($(TL_TMPL_DIRS)) | while read -r d; do \
	    rmdir "$(DESTDIR)$(TL_TMPLDIR)/$$d" 2>/dev/null || true; done
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man5/,$(notdir $(TL_MAN5))) \
	    $(addprefix $(DESTDIR)$(MANDIR)/man8/,$(notdir $(TL_MAN8))) \
	    $(addprefix $(DESTDIR)$(UNITDIR)/,$(TL_UNITS)) \
	    $(addprefix $(DESTDIR)$(TL_SHAREDIR)/nginx/,$(TL_NGINX)) \
	    $(addprefix $(DESTDIR)$(TL_SHAREDIR)/,$(TL_EXTRA)) \
	    $(DESTDIR)$(SYSUSERSDIR)/tipline.conf \
	    $(DESTDIR)$(TMPFILESDIR)/tipline.conf \
	    $(DESTDIR)$(TL_SHAREDIR)/tipline.conf.example
	rmdir $(DESTDIR)$(TL_TMPLDIR) $(DESTDIR)$(TL_SHAREDIR)/nginx \
	    $(DESTDIR)$(TL_SHAREDIR)/tor $(DESTDIR)$(TL_SHAREDIR)/prometheus \
	    $(DESTDIR)$(TL_SHAREDIR) 2>/dev/null || true

# The man pages must lint clean: any mandoc message at warning level or
# above fails.
lint-man:
	@out=$$(mandoc -Tlint -Wwarning $(TL_MAN5) $(TL_MAN8) 2>&1); \
	if [ -n "$$out" ]; then echo "$$out" >&2; exit 1; fi; \
	echo "lint-man: $(words $(TL_MAN5) $(TL_MAN8)) man pages clean"

# --- Benchmark (issue 6): `make bench`, never part of `make check`. --------
# tests/bench/run starts nginx, tipline.fcgi and a do-nothing FastCGI
# baseline on loopback and measures them with wrk; BENCH_SECONDS sets the
# length of each measured run (default 10). Its part1 phase builds Part I
# (the commit before the sealed store) from git history into
# $(BUILD)/bench/part1-*/, once; its last phase fills a desk store with
# BENCH_DESK_TIPS tips (default 1,000,000; bench/desk) and times its reads.
# Results: $(BUILD)/bench.json.
BENCH_BIN	= $(BUILD)/bench/baseline $(BUILD)/bench/mktokens \
		  $(BUILD)/bench/seal $(BUILD)/bench/desk

.PHONY: bench
bench: deps
	$(MAKE) all $(BENCH_BIN)
	python3 tests/bench/run --build $(BUILD)

$(BUILD)/bench/baseline: tests/bench/baseline.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) $(LDFLAGS) -o $@ $< \
	    $(LIBS_FCGI) -lpthread
$(BUILD)/bench/mktokens: $(BUILD)/tests/bench/mktokens.o $(LIBA)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS_CORE)
# The CPU cost of sealing and opening a typical tip (SPEC 11).
$(BUILD)/bench/seal: $(BUILD)/tests/bench/seal.o $(LIBA)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS_CORE)
# The desk's store at scale (SPEC 12): queue, tip, search p99 and ingest.
$(BUILD)/bench/desk: $(BUILD)/tests/bench/desk.o $(LIBA)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS_CORE)
