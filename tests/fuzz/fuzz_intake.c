/*
 * fuzz_intake.c — the desk's reading of the intake store (SPEC 12: the
 * intake store is hostile input, written by the internet-facing process;
 * its parser of sealed blobs is fuzzed). Each input becomes one row of an
 * intake store's tips table, which the desk takes in through its own
 * door, tl_desk_ingest_round(): the defensive read-only connection, the
 * row reader (tl_store_read_tip), the reference check, tl_tip_unseal
 * (the blob, its plaintext, the report's lists) and the checks of the
 * opened fields as text; then tl_desk_ingest() into a fresh desk store
 * (entities, full-text index) and tl_desk_tip() reading it back as JSON.
 *
 * The intake store is an in-memory database shared by name with the
 * desk's connection; its tips table has the columns the desk selects and
 * no types or constraints, so a row may hold what a writer that ignored
 * the schema could put there. The staff key pair comes from a fixed seed
 * and the random source is a fixed-seed generator reset for every input,
 * so sealed rows reach past the seal and every finding replays.
 *
 * The first byte picks the mode (the rest is the input):
 *   0: the row as typed values, column after column in the order the
 *      desk selects them (id, ref, received_at, priority, the plaintext
 *      fields' columns, area, the counts, sealed, sender_pk, sender_salt,
 *      sender_gone;
 *      missing ones NULL): a type byte (0 NULL, 1 integer, 2 text, 3 blob,
 *      4 real) then, for integers and reals, 8 bytes, for text a length
 *      byte, for a blob two (big-endian), and the bytes;
 *   1: a length byte h, h bytes of plaintext columns ("\n" between
 *      priority, the plaintext fields' columns and area in order; empty:
 *      a default, "~": NULL), then a plaintext as seal.c encodes one
 *      (tl_seal_plain_decode): when it decodes, its fields (any names,
 *      any order) are sealed in-process to the row as read back, so the
 *      desk must open them; when not, its bytes are the blob;
 *   2: as 1, but the last byte n says how many bytes before it are XORed
 *      into the sealed blob, at 4 times the byte before them: the desk
 *      must refuse a blob that changed.
 * In modes 1 and 2 a column holding a NUL byte, then a priority the
 * schema does not allow, then any other plaintext column that is not as
 * tl_fields[] allows (SPEC 16), must be flagged before the seal is
 * looked at. In every mode the round must succeed (a row that stalls
 * ingest would stop the desk for good), a row with id above 0 and a
 * canonical reference must be taken in, and one without must not.
 *
 * And nothing of a row may reach the desk's pages unescaped: every '<'
 * and '"' the harness writes into a row (its text columns, the sealed
 * fields' values) is followed by MARK, and the queue, the tip's page,
 * a search that finds it, its entities' pages and the statistics must
 * each be only the desk's own tags with quoted attributes, and text
 * without '"' (html_ok): a '<' or '"' printed as it came breaks that.
 */
#include <ctype.h>

#include <sodium.h>
#include <sqlite3.h>

#include <jansson.h>

#include "desk_ingest.h"
#include "desk_pages.h"
#include "desk_store.h"
#include "entity.h"
#include "fuzz.h"
#include "fuzz_rnd.h"
#include "ref.h"
#include "store_impl.h"
#include "tip_staff.h"

#define INTAKE_URI	"file:fuzz_intake?mode=memory&cache=shared"
#define REF		"TL-7K3M-9QXD"
#define RECEIVED	1764300000
#define NOW		1764300600
#define MAX_COLS	64
#define MARK		'\x01'	/* after each '<' and '"' of a row */

static struct tl_seal_secret	*sk;
static uint8_t			 pk[TL_SEAL_KEYBYTES];
static sqlite3			*intake;	/* the writer's connection */
static sqlite3_stmt		*ins, *upd, *sel;
static struct tl_desk_intake	*reader;	/* the desk's */
static int			 ncols, nplain;

/* ------------------------------------------------------ the store --- */

/* The intake table: the columns the desk selects, untyped. */
static void
make_table(void)
{
	const char	*c = tl_store_tip_columns();
	char		 sql[2048], vals[512];
	size_t		 o, v = 0;
	int		 i;

	ncols = tl_store_tip_ncolumns();
	nplain = tl_store_tip_col(TL_TIPCOL_AREA) - 4;
	/* "tips.id, tips.ref, ..." without the "tips." before each. */
	o = (size_t)snprintf(sql, sizeof(sql), "CREATE TABLE tips (id INTEGER"
	    " PRIMARY KEY");
	for (c = strchr(c, ','); c != NULL && o < sizeof(sql); ) {
		const char *end = strchr(c + 1, ',');
		size_t	    len = end != NULL ? (size_t)(end - c) : strlen(c);

		FUZZ_CHECK(strncmp(c, ", tips.", 7) == 0);
		o += (size_t)snprintf(sql + o, sizeof(sql) - o, ", %.*s",
		    (int)(len - 7), c + 7);
		c = end;
	}
	FUZZ_CHECK(o + 2 < sizeof(sql));
	strcat(sql, ")");
	FUZZ_CHECK(sqlite3_exec(intake, sql, NULL, NULL, NULL) == SQLITE_OK);
	for (i = 0; i < ncols; i++)
		v += (size_t)snprintf(vals + v, sizeof(vals) - v, "%s?%d",
		    i > 0 ? ", " : "", i + 1);
	snprintf(sql, sizeof(sql), "INSERT INTO tips VALUES (%s)", vals);
	FUZZ_CHECK(sqlite3_prepare_v2(intake, sql, -1, &ins, NULL) ==
	    SQLITE_OK);
	FUZZ_CHECK(sqlite3_prepare_v2(intake, "UPDATE tips SET sealed = ?1",
	    -1, &upd, NULL) == SQLITE_OK);
	snprintf(sql, sizeof(sql), "SELECT %s FROM tips",
	    tl_store_tip_columns());
	FUZZ_CHECK(sqlite3_prepare_v2(intake, sql, -1, &sel, NULL) ==
	    SQLITE_OK);
}

/* Steps and resets st; whether it did. */
static int
step(sqlite3_stmt *st)
{
	int	 rc = sqlite3_step(st);

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE;
}

/* ------------------------------------------------------ the marks --- */

/* p[0..len) with MARK after each '<' and '"', in a new buffer (its
 * length in *out_len, a NUL after it). */
static char *
marked(const void *p, size_t len, size_t *out_len)
{
	const char	*s = p;
	char		*m = malloc(2 * len + 1);
	size_t		 i, n = 0;

	FUZZ_CHECK(m != NULL);
	for (i = 0; i < len; i++) {
		m[n++] = s[i];
		if (s[i] == '<' || s[i] == '"')
			m[n++] = MARK;
	}
	m[n] = '\0';
	*out_len = n;
	return m;
}

/* Binds p[0..len) marked as text (or as a blob) to column i of st. */
static void
bind_marked(sqlite3_stmt *st, int i, const void *p, size_t len, int blob)
{
	size_t	 n;
	char	*m = marked(p, len, &n);

	if (blob)
		sqlite3_bind_blob(st, i, m, (int)n, SQLITE_TRANSIENT);
	else
		sqlite3_bind_text(st, i, m, (int)n, SQLITE_TRANSIENT);
	free(m);
}

/* The tags the desk's pages are made of (desk_pages.c). */
static const char *const tags[] = { "a", "br", "button", "caption", "dd",
	"div", "dl", "dt", "fieldset", "form", "h1", "h2", "h3", "input",
	"label", "legend", "li", "nav", "option", "p", "select", "span",
	"strong", "table", "tbody", "td", "textarea", "th", "thead", "tr",
	"ul", NULL };

/* Whether s opens one of tags at its start (after '<' and any '/'): the
 * length of the name, or 0. */
static size_t
tag_name(const char *s)
{
	size_t	 n = strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789");
	int	 i;

	for (i = 0; tags[i] != NULL; i++)
		if (strlen(tags[i]) == n && strncmp(tags[i], s, n) == 0)
			return n;
	return 0;
}

/* Whether html is only the desk's own tags, each with attributes
 * ` name` or ` name="value"` (no '<', '>' or '"' in a value), and text
 * without '"'. A row's '<' or '"' printed unescaped is followed by MARK,
 * which neither a tag's name nor what follows a value can be. */
static int
html_ok(const char *p)
{
	size_t	 n;

	while (*p != '\0') {
		if (*p == '"')
			return 0;
		if (*p++ != '<')
			continue;
		p += *p == '/';
		if ((n = tag_name(p)) == 0)
			return 0;
		for (p += n; *p != '>'; ) {
			if (*p++ != ' ' ||
			    (n = strspn(p, "abcdefghijklmnopqrstuvwxyz-")) == 0)
				return 0;
			p += n;
			if (*p != '=')
				continue;
			if (p[1] != '"')
				return 0;
			p += 2 + strcspn(p + 2, "\"<>");
			if (*p++ != '"')
				return 0;
		}
		p++;
	}
	return 1;
}

/* Checks the page in b (then empties it). */
static void
page_check(struct tl_buf *b)
{
	FUZZ_CHECK(tl_buf_ok(b));
	if (!html_ok(b->data != NULL ? b->data : "")) {
		fprintf(stderr, "fuzz_intake: a row's markup reached a page:"
		    "\n%s\n", b->data);
		FUZZ_CHECK(0);
	}
	tl_buf_reset(b);
}

/* The first word of the tip's description, as a search for it; "x"
 * when there is none. */
static void
first_word(json_t *tip, char q[32])
{
	const char	*s = json_string_value(json_object_get(tip,
			    "description"));
	size_t		 n = 0;

	while (s != NULL && *s != '\0' && !isalnum((unsigned char)*s))
		s++;
	while (s != NULL && n < 31 && isalnum((unsigned char)s[n])) {
		q[n] = s[n];
		n++;
	}
	if (n == 0)
		q[n++] = 'x';
	q[n] = '\0';
}

/* Renders every page the desk's tip ref (its JSON tip, or NULL) reaches
 * and checks each: the queue, the tip, a search that finds it, its
 * entities' pages, the statistics. */
static void
pages_check(struct tl_desk_store *d, json_t *tip)
{
	static const struct tl_desk_view v = { "/staff", "fuzz", "token" };
	struct tl_desk_filter	 f;
	struct tl_buf		 b = TL_BUF_INIT;
	json_t			*rows, *e;
	size_t			 i;
	char			 q[32];
	int			 more, k;

	memset(&f, 0, sizeof(f));
	FUZZ_CHECK(tl_desk_queue(d, &f, &rows, &more) == TL_OK);
	tl_desk_html_queue(&b, &v, &f, rows, more);
	json_decref(rows);
	page_check(&b);
	FUZZ_CHECK(tl_desk_stats(d, &rows) == TL_OK);
	tl_desk_html_stats(&b, &v, rows);
	json_decref(rows);
	page_check(&b);
	if (tip == NULL) {
		tl_buf_free(&b);
		return;
	}
	tl_desk_html_tip(&b, &v, tip);
	page_check(&b);
	first_word(tip, q);
	FUZZ_CHECK(tl_desk_search(d, q, &rows) == TL_OK);
	tl_desk_html_search(&b, &v, q, rows);
	json_decref(rows);
	page_check(&b);
	json_array_foreach(json_object_get(tip, "entities"), i, e) {
		const char *kind = json_string_value(json_object_get(e,
		    "kind")), *val = json_string_value(json_object_get(e,
		    "value"));

		if (kind == NULL || val == NULL ||
		    (k = tl_entity_kind_parse(kind)) < 0)
			continue;
		FUZZ_CHECK(tl_desk_entity_tips(d, k, val, &rows) == TL_OK);
		tl_desk_html_entity(&b, &v, kind, val, rows);
		json_decref(rows);
		page_check(&b);
	}
	tl_buf_free(&b);
}

/* ------------------------------------------------------ the desk ---- */

/* The desk takes the intake store in; returns the tip's fault (a copy,
 * "" when it opened) or NULL when the desk has no tip ref. */
static char *
desk_round(const char *ref)
{
	struct tl_desk_store	*d;
	json_t			*j = NULL, *f;
	size_t			 n = 0;
	char			 err[512], *fault = NULL;
	enum tl_err		 rc;

	FUZZ_CHECK(tl_desk_store_open(":memory:", &d, err, sizeof(err)) ==
	    TL_OK);
	FUZZ_CHECK(tl_desk_ingest_round(d, reader, sk, 8, NOW, &n) == TL_OK);
	FUZZ_CHECK(n <= 1);
	rc = tl_desk_tip(d, ref, &j);
	FUZZ_CHECK(rc == TL_OK || rc == TL_ENOTFOUND);
	FUZZ_CHECK((rc == TL_OK) == (n == 1));
	pages_check(d, rc == TL_OK ? j : NULL);
	if (rc == TL_OK) {
		f = json_object_get(j, "fault");
		fault = strdup(json_is_string(f) ? json_string_value(f) : "");
		FUZZ_CHECK(fault != NULL);
		json_decref(j);
	}
	tl_desk_store_close(d);
	return fault;
}

/* ------------------------------------------------- mode 0: raw row --- */

/* Binds column i of ins from the typed value at *p; moves *p past it. */
static void
bind_typed(int i, const uint8_t **p, const uint8_t *end)
{
	uint64_t	 u = 0;
	size_t		 len, k;
	double		 x;
	int		 t;

	if (*p >= end)
		return;		/* NULL */
	t = *(*p)++ % 5;
	switch (t) {
	case 1:
	case 4:
		for (k = 0; k < 8 && *p < end; k++)
			u = u << 8 | *(*p)++;
		if (t == 1)
			sqlite3_bind_int64(ins, i, (sqlite3_int64)u);
		else {
			memcpy(&x, &u, sizeof(x));
			sqlite3_bind_double(ins, i, x);
		}
		break;
	case 2:
	case 3:
		len = *p < end ? *(*p)++ : 0;
		if (t == 3 && *p < end)
			len = len << 8 | *(*p)++;
		if (len > (size_t)(end - *p))
			len = (size_t)(end - *p);
		if (i <= tl_store_tip_col(TL_TIPCOL_SEALED))
			bind_marked(ins, i, *p, len, t == 3);
		else if (t == 2)
			sqlite3_bind_text(ins, i, (const char *)*p, (int)len,
			    SQLITE_TRANSIENT);
		else
			sqlite3_bind_blob(ins, i, *p, (int)len,
			    SQLITE_TRANSIENT);
		*p += len;
		break;
	default:
		break;
	}
}

static void
raw_row(const uint8_t *data, size_t size)
{
	const uint8_t	*p = data, *end = data + size;
	sqlite3_int64	 id;
	char		 ref[64] = "", canon[TL_REF_SIZE], *fault;
	int		 i, ok, bytes;

	for (i = 1; i <= ncols; i++)
		bind_typed(i, &p, end);
	if (!step(ins))
		return;		/* an id that is not an integer */
	FUZZ_CHECK(sqlite3_step(sel) == SQLITE_ROW);
	id = sqlite3_column_int64(sel, 0);
	if (sqlite3_column_text(sel, 1) != NULL)
		snprintf(ref, sizeof(ref), "%s",
		    (const char *)sqlite3_column_text(sel, 1));
	bytes = sqlite3_column_bytes(sel, 1);
	sqlite3_reset(sel);
	/* Taken in exactly when the desk can name it: a reference in
	 * canonical form, nothing before or after it (no NUL either). */
	ok = id > 0 && bytes == TL_REF_LEN && strlen(ref) == TL_REF_LEN &&
	    tl_ref_parse(ref, canon) == TL_OK && strcmp(canon, ref) == 0;
	fault = desk_round(ok ? ref : REF);
	FUZZ_CHECK((fault != NULL) == ok);
	free(fault);
}

/* ---------------------------------------- modes 1 and 2: sealed row --- */

/* Whether v (a plaintext column's text; NULL: none) is one field f
 * allows: NULL when optional, one of its choices, or for a multiple
 * choice 1 to max of them joined with ",", none twice. */
static int
column_ok(int f, const char *v)
{
	const struct tl_choice	*c = tl_fields[f].choices;
	char			 item[64];
	unsigned		 seen = 0;
	size_t			 n = 0, len;
	int			 i;

	if (v == NULL)
		return !tl_fields[f].required;
	do {
		len = strcspn(v, ",");
		if (len >= sizeof(item) || c == NULL)
			return 0;
		memcpy(item, v, len);
		item[len] = '\0';
		for (i = 0; c[i].value != NULL && strcmp(c[i].value, item) !=
		    0; i++)
			;
		if (c[i].value == NULL || seen & 1u << i)
			return 0;
		seen |= 1u << i;
		n++;
		v += len;
	} while (*v++ == ',');
	return tl_fields[f].kind == TL_K_MULTI ? n <= tl_fields[f].max :
	    n == 1;
}

/* Whether an area line is one intake writes: none, or an outward code
 * ("SO14"). */
static int
area_line_ok(const char *v)
{
	char	 pc[16];

	return v == NULL || *v == '\0' || (strlen(v) < TL_AREA_SIZE &&
	    tl_postcode_normalise(v, pc, sizeof(pc)) == TL_OK &&
	    strcmp(pc, v) == 0);
}

/* Binds the row's plaintext columns (priority, plaintext fields, area)
 * from the header's lines, marked, over the defaults; *prio_ok: whether
 * the priority column is one the schema allows; *nul: whether a column
 * holds a NUL byte; *cols_ok: whether every other plaintext column is
 * as tl_fields[] allows. */
static void
bind_header(const uint8_t *h, size_t hlen, int *prio_ok, int *nul,
    int *cols_ok)
{
	const uint8_t	*line = h, *nl;
	const char	*v[MAX_COLS];
	char		*m[MAX_COLS];
	size_t		 len, n;
	int		 col, f, last = 4 + nplain;

	sqlite3_bind_int64(ins, 1, 1);
	sqlite3_bind_text(ins, 2, REF, -1, SQLITE_STATIC);
	sqlite3_bind_int64(ins, 3, RECEIVED);
	sqlite3_bind_text(ins, 4, "urgent", -1, SQLITE_STATIC);
	sqlite3_bind_text(ins, 5, "dealing", -1, SQLITE_STATIC);
	sqlite3_bind_text(ins, last + 1, "SO14", -1, SQLITE_STATIC);
	for (col = last + 2; col <= last + 4; col++)
		sqlite3_bind_int(ins, col, 0);		/* the counts */
	sqlite3_bind_zeroblob(ins, ncols - 2, 0);	/* sealed, for now */
	memset(m, 0, sizeof(m));
	for (col = 0; col < MAX_COLS; col++)
		v[col] = col == 5 ? "dealing" : col == last + 1 ? "SO14" :
		    NULL;
	*prio_ok = 1;
	*nul = 0;
	for (col = 4; col <= last + 1 && line < h + hlen; col++) {
		nl = memchr(line, '\n', (size_t)(h + hlen - line));
		len = (size_t)((nl != NULL ? nl : h + hlen) - line);
		if (len == 1 && line[0] == '~') {
			sqlite3_bind_null(ins, col);
			v[col] = NULL;
		} else if (len > 0) {
			m[col] = marked(line, len, &n);
			sqlite3_bind_text(ins, col, m[col], (int)n,
			    SQLITE_TRANSIENT);
			v[col] = m[col];
			*nul |= memchr(line, '\0', len) != NULL;
		}
		if (col == 4 && len > 0)
			*prio_ok = (len == 6 && memcmp(line, "urgent", 6) ==
			    0) || (len == 6 && memcmp(line, "normal", 6) == 0);
		line = nl != NULL ? nl + 1 : h + hlen;
	}
	*cols_ok = area_line_ok(v[last + 1]);
	for (f = 0, col = 5; f < TL_F__MAX; f++)
		if (tl_fields[f].column != NULL)
			*cols_ok &= column_ok(f, v[col++]);
	for (col = 0; col < MAX_COLS; col++)
		free(m[col]);
}

/* Seals the fields plain decodes to, to the row as the desk reads it:
 * the blob into *blob; 0 when plain does not decode or seal. */
static int
seal_to_row(const uint8_t *plain, size_t plen, uint8_t **blob,
    size_t *blen)
{
	struct tl_seal_field	 f[TL_SEAL_FIELDS_MAX];
	char			*m[TL_SEAL_FIELDS_MAX];
	struct tl_seal_opened	*o;
	struct tl_tip		 t;
	size_t			 i, n, mlen;
	char			 err[200];
	enum tl_err		 rc;

	if (tl_seal_plain_decode(plain, plen, &o, err, sizeof(err)) != TL_OK)
		return 0;
	n = tl_seal_opened_count(o);
	FUZZ_CHECK(n <= TL_SEAL_FIELDS_MAX);
	for (i = 0; i < n; i++) {
		f[i] = *tl_seal_opened_field(o, i);
		f[i].value = m[i] = marked(f[i].value, strlen(f[i].value),
		    &mlen);
	}
	FUZZ_CHECK(sqlite3_step(sel) == SQLITE_ROW);
	FUZZ_CHECK(tl_store_read_tip(sel, 0, &t) == TL_OK);
	sqlite3_reset(sel);
	rc = tl_tip_seal_fields(&t, pk, f, n, blob, blen, err, sizeof(err));
	FUZZ_CHECK(rc == TL_OK || rc == TL_EINVAL);
	for (i = 0; i < n; i++)
		free(m[i]);
	tl_tip_free(&t);
	tl_seal_opened_free(o);
	return rc == TL_OK;
}

static void
sealed_row(const uint8_t *data, size_t size, int tamper)
{
	const uint8_t	*plain, *xor = NULL;
	uint8_t		*blob = NULL;
	size_t		 hlen, plen, xlen = 0, blen = 0, at = 0, i;
	char		*fault;
	int		 prio_ok, nul, cols_ok, sealed, changed = 0;

	if (size < 1)
		return;
	hlen = data[0] < size - 1 ? data[0] : size - 1;
	plain = data + 1 + hlen;
	plen = size - 1 - hlen;
	if (tamper && plen >= 2) {
		xlen = plain[plen - 1] < plen - 2 ? plain[plen - 1] : plen - 2;
		xor = plain + plen - 1 - xlen;
		at = (size_t)xor[-1] * 4;
		plen -= xlen + 2;
	}
	bind_header(data + 1, hlen, &prio_ok, &nul, &cols_ok);
	FUZZ_CHECK(step(ins));
	if (!(sealed = seal_to_row(plain, plen, &blob, &blen))) {
		sqlite3_bind_blob(upd, 1, plain, (int)plen, SQLITE_STATIC);
	} else {
		for (i = 0; i < xlen && blen > 0; i++) {
			blob[(at + i) % blen] ^= xor[i];
			changed |= xor[i];
		}
		sqlite3_bind_blob(upd, 1, blob, (int)blen, SQLITE_STATIC);
	}
	FUZZ_CHECK(step(upd));
	fault = desk_round(REF);
	FUZZ_CHECK(fault != NULL);
	/* Refused before the seal: what C strings would cut short, then a
	 * priority the schema does not allow. */
	if (nul)
		FUZZ_CHECK(strstr(fault, "NUL") != NULL);
	else if (!prio_ok)
		FUZZ_CHECK(strstr(fault, "priority") != NULL);
	else if (!cols_ok)
		FUZZ_CHECK(strstr(fault, "column") != NULL);
	else if (sealed && !changed)
		/* Opened: at most its text is refused. */
		FUZZ_CHECK(fault[0] == '\0' ||
		    strstr(fault, "not valid text") != NULL);
	else if (sealed)
		FUZZ_CHECK(fault[0] != '\0');
	free(fault);
	free(blob);
}

/* ------------------------------------------------------ the entry --- */

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const uint8_t seed[TL_SEAL_KEYBYTES] = "fuzz_intake's seed";
	char	 err[512];

	(void)argc;
	(void)argv;
	/* Before SQLite starts: the shared in-memory store is named by URI
	 * (the desk's own open passes no SQLITE_OPEN_URI). */
	if (sqlite3_config(SQLITE_CONFIG_URI, 1) != SQLITE_OK ||
	    fuzz_rnd_install() != 0 ||
	    sodium_init() < 0 || tl_seal_keypair(seed, pk, &sk) != TL_OK ||
	    sqlite3_open_v2(INTAKE_URI, &intake, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_URI, NULL) != SQLITE_OK)
		abort();
	make_table();
	if (tl_desk_intake_open(INTAKE_URI, &reader, err, sizeof(err)) !=
	    TL_OK) {
		fprintf(stderr, "fuzz_intake: %s\n", err);
		abort();
	}
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	fuzz_rnd_reset();
	FUZZ_CHECK(sqlite3_exec(intake, "DELETE FROM tips", NULL, NULL,
	    NULL) == SQLITE_OK);
	switch (data[0] % 3) {
	case 0:
		raw_row(data + 1, size - 1);
		break;
	default:
		sealed_row(data + 1, size - 1, data[0] % 3 == 2);
		break;
	}
	return 0;
}
