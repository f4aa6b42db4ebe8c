/*
 * err.c — sentences and API codes for enum tl_err.
 */
#include "tl.h"

static const struct {
	const char *msg;
	const char *code;
} errs[TL_ERR__MAX] = {
	[TL_OK] = { "success", "ok" },
	[TL_ENOMEM] = { "out of memory", "store_unavailable" },
	[TL_EMALFORMED] = { "the request body is malformed",
	    "malformed_body" },
	[TL_EUTF8] = { "the request body is not valid UTF-8",
	    "invalid_utf8" },
	[TL_ETOOMANY] = { "the request has too many fields",
	    "too_many_fields" },
	[TL_EREPEATED] = { "a single-valued field was given more than once",
	    "repeated_field" },
	[TL_EJSON] = { "the request body is not a valid JSON object",
	    "invalid_json" },
	[TL_ETOOLARGE] = { "the request body is too large",
	    "body_too_large" },
	[TL_EMEDIA] = { "the content type is not supported",
	    "unsupported_media_type" },
	[TL_EIDEMKEY] = { "the Idempotency-Key header must be 1 to 64 "
	    "printable ASCII characters", "invalid_idempotency_key" },
	[TL_EIDEMMISMATCH] = { "this Idempotency-Key was used with a "
	    "different body", "idempotency_mismatch" },
	[TL_ESTORE] = { "the store is unavailable: nothing was saved",
	    "store_unavailable" },
	[TL_ENOTFOUND] = { "not found", "not_found" },
	[TL_EDUPLICATE] = { "already stored", "duplicate" },
	[TL_ECONFIG] = { "configuration error", "config" },
	[TL_EIO] = { "input/output error", "io" },
	[TL_EINVAL] = { "invalid argument", "invalid" },
	[TL_ETAKEN] = { "the reference drawn is already taken", "taken" },
	[TL_ESEALED] = { "sealed content does not open on its row",
	    "sealed" },
};

const char *
tl_strerror(enum tl_err err)
{
	if ((unsigned)err >= TL_ERR__MAX)
		return "unknown error";
	return errs[err].msg;
}

const char *
tl_err_code(enum tl_err err)
{
	if ((unsigned)err >= TL_ERR__MAX)
		return "unknown";
	return errs[err].code;
}
