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
UNIT_SRC = $(wildcard tests/unit/test_*.c)
UNIT	= $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
PROGS	= $(FCGI) $(CTL) $(if $(wildcard notify/main.c),$(NOTIFY))

.PHONY: all deps check unit e2e demo clean
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

$(BUILD)/tests/%: $(BUILD)/tests/unit/%.o $(LIBA)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS_TEST) $(LIBS_CURL) $(LIBS_CORE)

unit: $(UNIT)
	@tests/run-unit $(UNIT)

e2e: all
	@python3 tests/e2e/run.py --build $(BUILD)

check: deps
	$(MAKE) all unit
	$(MAKE) e2e

demo: deps
	$(MAKE) all
	deploy/local/up --port 8080 --state $(CURDIR)/tmp/demo

clean:
	rm -rf build build-*
