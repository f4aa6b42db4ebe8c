/*
 * tl.h — the error enum shared by every module of tipline's library.
 *
 * Every fallible function a header of lib/ declares returns an enum
 * tl_err (TL_OK on success), and its comment says which codes it can
 * give. What is not a failure is not an error: a predicate returns 0 or
 * 1, a lookup -1 for "none", a counter a count. File-local helpers say
 * what they return above them.
 * tl_strerror() gives a sentence for logs and admins; tl_err_code() gives
 * the stable machine code used in the JSON API (SPEC 5.1).
 */
#ifndef TL_H
#define TL_H

enum tl_err {
	TL_OK = 0,
	TL_ENOMEM,	/* out of memory */
	TL_EMALFORMED,	/* body is not valid urlencoded (or holds NUL) */
	TL_EUTF8,	/* invalid UTF-8 */
	TL_ETOOMANY,	/* more fields than allowed */
	TL_EREPEATED,	/* a single-valued field given twice */
	TL_EJSON,	/* body is not the JSON object we expect */
	TL_ETOOLARGE,	/* body over max_body_bytes, file over its bound */
	TL_EMEDIA,	/* unsupported content type */
	TL_EIDEMKEY,	/* Idempotency-Key header not 1-64 printable ASCII */
	TL_EIDEMMISMATCH, /* same Idempotency-Key, different body */
	TL_ESTORE,	/* the store failed: nothing was saved */
	TL_ENOTFOUND,	/* no such record */
	TL_EDUPLICATE,	/* already stored (token or idempotency key) */
	TL_ECONFIG,	/* bad configuration */
	TL_EIO,		/* file or system error */
	TL_EINVAL,	/* invalid argument: text that is not what it
			   should be (a key, a reference, a number) */
	TL_ETAKEN,	/* the reference drawn is taken: draw again */
	TL_ESEALED,	/* sealed content does not open on its row */
	TL_ERR__MAX
};

/* A sentence describing err; never NULL. */
const char *tl_strerror(enum tl_err err);

/* The API's error code for err ("malformed_body", ...); never NULL. */
const char *tl_err_code(enum tl_err err);

#endif
