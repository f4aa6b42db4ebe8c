/*
 * report.h — the report's fields, declared once (SPEC 5.1).
 *
 * tl_fields[] is the single table of every field: its name, whether it is
 * required, its limits, its allowed values, the words people see, its
 * column in the store and whether it can make a tip urgent. The form page,
 * the JSON API, validation, error messages, the urgency rule, the store's
 * SQL and the tests all read this table; adding a field is one row in
 * fields.c plus its words in every catalogue (templates/lang/, cat.h).
 * A field whose .column is NULL is sealed (SPEC 11): the sealed blob
 * carries it, no plaintext column does.
 *
 * The words people read are never here: each field's label, hint,
 * choices and messages are catalogue keys derived from its name (cat.h).
 * .label and a choice's .label/.words are the short English names staff
 * read in tiplinectl show and in summaries.
 */
#ifndef TL_REPORT_H
#define TL_REPORT_H

#include <stddef.h>

#include "tl.h"

/* In the order the form asks them. */
enum tl_field {
	TL_F_CONCERNS,
	TL_F_DESCRIPTION,
	TL_F_HOW_KNOWN,
	TL_F_LOCATION,
	TL_F_OTHER_ADDRESSES,
	TL_F_POSTCODE,
	TL_F_WHEN,
	TL_F_TIMES,
	TL_F_PEOPLE,
	TL_F_VEHICLES,
	TL_F_PHONES,
	TL_F_HANDLES,
	TL_F_CHILD_AT_RISK,
	TL_F_WEAPONS_SEEN,
	TL_F_VULNERABLE_ADULT,
	TL_F_REPORTER,
	TL_F__MAX
};

enum tl_kind {
	TL_K_MULTI,	/* repeated key, values from choices (concerns) */
	TL_K_TEXT,	/* free text, min..max code points */
	TL_K_POSTCODE,	/* UK postcode or outward code */
	TL_K_CHOICE,	/* one of choices (radios) */
	TL_K_PHONES,	/* list of phone numbers, partial or labelled */
	TL_K_LIST,	/* list of items split at .sep, each min..max code
			   points, at most .items of them */
};

struct tl_choice {
	const char *value;	/* "child_exploitation" */
	const char *label;	/* staff's name: "Child exploitation" */
	const char *words;	/* for summaries: "child exploitation" */
};

struct tl_fielddef {
	const char	*name;		/* form and JSON name (the contract) */
	enum tl_kind	 kind;
	int		 required;
	size_t		 min, max;	/* code points (TEXT, LIST items);
					   items (MULTI, PHONES: max) */
	const struct tl_choice *choices; /* NULL-value terminated */
	const char	*label;		/* staff's name of it (tiplinectl) */
	int		 hint;		/* catalogue has NAME_hint */
	int		 rows;		/* TEXT, LIST: textarea rows; 0 =
					   one line */
	const char	*inputmode;	/* "tel", "text", … or NULL */
	const char	*autocomplete;	/* value of autocomplete=, or NULL */
	const char	*column;	/* its plaintext column in the intake
					   store, or NULL: sealed (SPEC 11) */
	int		 required_msg;	/* catalogue has NAME_required, said
					   when it is missing */
	const char	*urgent_if;	/* this value makes the tip urgent
					   (SPEC 5.2), or NULL */
	const char	*urgent_because; /* then its name in summaries */
	const char	*urgent_words;	/* and its words in a Slack line */
	int		 summary;	/* 0: never in a summary (SPEC 14) */
	size_t		 items;		/* LIST: most items */
	const char	*sep;		/* LIST: bytes that separate items */
	/* LIST: whether item s[0..len) has the field's format; NULL: any */
	int		(*item_ok)(const char *s, size_t len);
};

extern const struct tl_fielddef tl_fields[TL_F__MAX];

/* Index of the field called name (len bytes), or -1. */
int tl_field_find(const char *name, size_t len);

#define TL_MAX_PHONES	10
#define TL_PHONE_LABEL_MAX 40	/* code points of a phone's label */
#define TL_PHONE_ITEM_SIZE 208	/* bytes of one normalised phone item */
#define TL_MAX_FIELDS	64	/* more fields in a body is malformed */

enum tl_priority { TL_PRIO_NORMAL, TL_PRIO_URGENT };

/*
 * A report as received and, after tl_report_validate(), as normalised.
 * raw[] keeps what the person typed (for the 422 page); value[] is the
 * normalised form, NULL when absent or invalid. For TL_F_CONCERNS,
 * concerns is a bit set over tl_fields[TL_F_CONCERNS].choices and value[]
 * is the names joined with ","; for TL_F_PHONES, value[] is the normalised
 * numbers joined with ",".
 */
struct tl_report {
	char		*raw[TL_F__MAX];	/* owned; NULL = not sent */
	char		*value[TL_F__MAX];	/* owned; NULL = none */
	unsigned	 concerns;		/* bit i = choices[i] */
	int		 concerns_bad;		/* an unknown concern was sent */
	size_t		 nconcerns_raw;		/* concern values sent */
	char		*phones[TL_MAX_PHONES];	/* owned, normalised */
	size_t		 nphones;
	enum tl_priority priority;
	unsigned	 bad_type;		/* bit f: JSON field f had the
						   wrong type (invalid_format) */
	int		 oom;			/* validation ran out of memory:
						   answer 503, store nothing */
};

/*
 * One field error. Its words are not here: msg names a catalogue string
 * (cat.h) whose placeholders {min}, {max}, {count} and {n} take the
 * numbers below; tl_cat_field_error() writes it in a language.
 */
struct tl_field_error {
	enum tl_field	 field;
	const char	*code;		/* "required", "too_short", … */
	char		 msg[48];	/* catalogue key of its message */
	size_t		 min, max;	/* the limit broken */
	size_t		 count;		/* what was sent (characters, items) */
	size_t		 n;		/* which item (1-based), or 0 */
};

void tl_report_init(struct tl_report *r);
/* Frees r's strings, wiping each first (they hold what a person wrote). */
void tl_report_free(struct tl_report *r);
/* Frees what validation produced (value[], phones[]), wiped, and resets
 * priority: raw[] is kept. */
void tl_report_clear_values(struct tl_report *r);
/* Sets concerns and phones[] from value[] as stored (names, numbers
 * joined with ","). Returns TL_OK or TL_ENOMEM. */
enum tl_err tl_report_read_lists(struct tl_report *r);

/* Frees value[] of the sealed fields (column NULL) and phones[], wiped. */
void tl_report_clear_sealed(struct tl_report *r);

/* Frees phones[], wiped. */
void tl_report_clear_phones(struct tl_report *r);

/*
 * Records one received name/value (value is len bytes of valid UTF-8, no
 * NUL). Unknown names are ignored (TL_OK). Returns TL_EREPEATED when a
 * single-valued field is given twice, TL_ENOMEM on allocation failure.
 */
enum tl_err tl_report_set(struct tl_report *r, const char *name,
	    size_t namelen, const char *value, size_t len);

/*
 * Fills r from a JSON API body (SPEC 4: an object, `concerns` an array of
 * strings, every other field a string). Returns TL_EUTF8 for invalid UTF-8,
 * TL_EJSON if the body is not a JSON object, TL_ENOMEM. A known field of
 * the wrong type is not a request error: it is recorded so that validation
 * reports `invalid_format` for it. Unknown keys are ignored.
 */
enum tl_err tl_report_from_json(struct tl_report *r, const char *body,
	    size_t len);

/*
 * Trims, normalises and checks every field; fills value[], phones,
 * concerns and priority. Writes at most max errors (in table order) and
 * returns how many there were (0 = valid).
 */
size_t tl_report_validate(struct tl_report *r, struct tl_field_error *errs,
	    size_t max);

/* Whether field f's value makes r urgent (SPEC 5.2: its urgent_if). A
 * validated report is urgent when any field does. */
int tl_report_urgent_because(const struct tl_report *r, enum tl_field f);

/* Normalises a UK postcode or outward code into out (at least 9 bytes).
 * Returns TL_OK, or TL_EINVAL if it is not one (or out is too small). */
enum tl_err tl_postcode_normalise(const char *in, char *out, size_t outlen);

/* Normalises one phone number into out (at least 17 bytes): "+" and 7-15
 * digits; a UK number starting 0 becomes +44…. Returns TL_OK, or
 * TL_EINVAL if it is not one (or out is too small). */
enum tl_err tl_phone_normalise(const char *in, size_t len, char *out,
	    size_t outlen);

/*
 * Normalises one item of the phones field (SPEC 14) into out (at least
 * TL_PHONE_ITEM_SIZE bytes). The stored form, also what export shows:
 *   "+447700900123"         a number (as tl_phone_normalise());
 *   "+447700900123 Jay"     a number, one space, its label;
 *   "partial:123"           the last 3 to 6 digits of a number;
 *   "partial:123 Jay"       the same with a label.
 * Input: a number, optionally followed by a label ("07700 900123 - Jay",
 * "07700 900123 (Jay)"), or "ends 123" / "ends in 123" / "ending 123"
 * (any case, or the stored "partial:123") optionally followed by a
 * label. A label is 1 to
 * TL_PHONE_LABEL_MAX code points, runs of blanks folded to one space, the
 * dashes, colons and brackets around it dropped. Returns TL_OK, or
 * TL_EINVAL if it is not one; *why then says which rule broke: 0 digits,
 * 1 letters or other characters where the number goes, 2 the label too
 * long.
 */
enum tl_err tl_phone_item_normalise(const char *in, size_t len, char *out,
	    size_t outlen, int *why);

/* Whether s[0..len) is a social-media handle or profile link: "@name",
 * "name" (letters, digits, . _ -) or an http(s):// link without blanks;
 * at most 200 bytes. */
int tl_handle_ok(const char *s, size_t len);

/* The outward code of a normalised postcode into out; "" if none. */
void tl_postcode_area(const char *postcode, char *out, size_t outlen);

const char *tl_priority_name(enum tl_priority p);

/*
 * One free-text value by the rules of description (SPEC 5.1), for what
 * is not a report's field (a follow-up message): in[0..len) valid UTF-8
 * without NUL; surrounding white space trimmed, CR LF and a lone CR made
 * LF; no control character but LF and TAB; min..max code points.
 * Returns TL_OK and *out, a new string (wipe and free it); TL_EINVAL
 * with *code the API's error code ("invalid_encoding", "required",
 * "invalid_characters", "too_short", "too_long"); TL_ENOMEM.
 */
enum tl_err tl_text_check(const char *in, size_t len, size_t min,
	    size_t max, char **out, const char **code);

#endif
