/*
 * sender.c — test-only: the sender's side of a follow-up, as far as the
 * desk's tests need it, with the stack's own config (never installed).
 *
 *	sender CONFIG plant CODE
 *		stores a new tip as intake does, with a follow-up key from
 *		CODE (16 digits) and a fresh salt, sealed to the stack's
 *		staff public key; prints its reference. CODE "-": a tip
 *		whose sender got no code (a busy moment, followup = off)
 *	sender CONFIG read REF CODE
 *		prints each message of REF's conversation as one JSON line
 *		{"from": "staff"|"sender", "text": ...}, opened with the key
 *		derived from CODE and the stored salt, as the sender's side
 *		does; exits 1 if one does not open
 *
 * Used by tests/e2e/desk.py, whose public side (tipline.fcgi's follow-up
 * pages) is tested with the public pages themselves.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <sodium.h>

#include "config.h"
#include "conv.h"
#include "store.h"
#include "tip.h"

static int
plant(struct tl_store *s, const struct tl_config *cfg, const char *code)
{
	struct tl_report	 r;
	struct tl_submit	 sub;
	struct tl_tip		 view;
	struct tl_seal_secret	*ssk = NULL;
	uint8_t			 pk[TL_SEAL_KEYBYTES], *blob = NULL;
	char			 want[TL_REF_SIZE], ref[TL_REF_SIZE], err[512];
	int			 rc = 1;

	memset(&r, 0, sizeof(r));
	r.value[TL_F_CONCERNS] = (char *)"dealing";
	r.concerns = 1u;
	r.value[TL_F_DESCRIPTION] = (char *)"Someone sells from the car park "
	    "behind the leisure centre.";
	r.value[TL_F_LOCATION] = (char *)"Leisure centre car park";
	r.priority = TL_PRIO_NORMAL;
	if (tl_seal_public_read(cfg->staff_public_key_file, pk, err,
	    sizeof(err)) != TL_OK)
		goto out;
	tl_ref_random(want);
	tl_tip_view(&view, want, (int64_t)time(NULL), &r);
	view.has_sender = strcmp(code, "-") != 0;
	tl_seal_salt_new(view.sender_salt);
	if (view.has_sender && tl_seal_sender_keypair(code, view.sender_salt,
	    view.sender_pk, &ssk) != TL_OK) {
		snprintf(err, sizeof(err), "not a code");
		goto out;
	}
	tl_seal_secret_free(ssk);
	memset(&sub, 0, sizeof(sub));
	sub.report = &r;
	sub.received_at = view.received_at;
	if (tl_tip_seal(&view, pk, &blob, &sub.sealed_len, err, sizeof(err))
	    != TL_OK)
		goto out;
	sub.ref = view.ref;
	sub.sealed = blob;
	sub.sender_pk = view.has_sender ? view.sender_pk : NULL;
	sub.sender_salt = view.has_sender ? view.sender_salt : NULL;
	if (tl_store_add(s, &sub, ref) != TL_OK) {
		snprintf(err, sizeof(err), "%s", tl_store_errmsg(s));
		goto out;
	}
	printf("%s\n", ref);
	rc = 0;
out:
	if (rc != 0)
		fprintf(stderr, "sender: plant: %s\n", err);
	free(blob);
	return rc;
}

struct reading {
	struct tl_seal_shared	*k;
	const char		*ref;
	int			 bad;
};

static int
print_one(void *arg, const struct tl_conv_row *row)
{
	struct reading		*r = arg;
	struct tl_seal_msg_ad	 ad = { r->ref, row->id, row->from, row->at };
	char			*text = NULL, *line, err[128];
	json_t			*o;

	if (row->end)
		return 0;
	if (tl_seal_msg_open(r->k, &ad, row->sealed, row->len, &text, err,
	    sizeof(err)) != TL_OK) {
		fprintf(stderr, "sender: message %lld: %s\n",
		    (long long)row->id, err);
		r->bad = 1;
		return 0;
	}
	o = json_pack("{s:s,s:s}", "from", row->from == TL_SEAL_FROM_STAFF ?
	    "staff" : "sender", "text", text);
	line = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII |
	    JSON_SORT_KEYS);
	printf("%s\n", line != NULL ? line : "null");
	free(line);
	json_decref(o);
	tl_seal_text_free(text);
	return 0;
}

static int
read_conv(struct tl_store *s, const struct tl_config *cfg, const char *ref,
    const char *code)
{
	struct tl_seal_secret	*ssk = NULL;
	struct reading		 r = { NULL, ref, 0 };
	uint8_t			 pk[TL_SEAL_KEYBYTES], spk[TL_SEAL_KEYBYTES];
	uint8_t			 salt[TL_SEAL_SALTBYTES];
	char			 err[512];

	if (tl_seal_public_read(cfg->staff_public_key_file, pk, err,
	    sizeof(err)) != TL_OK || tl_store_sender(s, ref, spk, salt) !=
	    TL_OK || tl_seal_sender_keypair(code, salt, spk, &ssk) != TL_OK ||
	    tl_seal_shared_new(ssk, pk, &r.k) != TL_OK ||
	    tl_store_conv_read(s, ref, 1000, print_one, &r) != TL_OK) {
		fprintf(stderr, "sender: read %s failed\n", ref);
		r.bad = 1;
	}
	tl_seal_shared_free(r.k);
	tl_seal_secret_free(ssk);
	return r.bad;
}

int
main(int argc, char **argv)
{
	struct tl_config	 cfg;
	struct tl_store		*s;
	char			 err[512];
	int			 rc;

	if (!((argc == 4 && strcmp(argv[2], "plant") == 0) ||
	    (argc == 5 && strcmp(argv[2], "read") == 0))) {
		fprintf(stderr, "usage: sender CONFIG plant CODE\n"
		    "       sender CONFIG read REF CODE\n");
		return 2;
	}
	if (sodium_init() < 0 ||
	    tl_config_load(argv[1], &cfg, err, sizeof(err)) != TL_OK ||
	    tl_store_attach(cfg.database, &s, err, sizeof(err)) != TL_OK) {
		fprintf(stderr, "sender: %s\n", err);
		return 1;
	}
	rc = argc == 4 ? plant(s, &cfg, argv[3]) :
	    read_conv(s, &cfg, argv[3], argv[4]);
	tl_store_close(s);
	tl_config_free(&cfg);
	return rc;
}
