/*
 * forge.c — test-only: stores a tip as a takeover of tipline.fcgi could
 * (SPEC 16), with the stack's own config (never installed). It holds
 * what tipline.fcgi holds, the staff PUBLIC key, and uses the library's
 * own seal and store, so a forged tip's blob opens on its own row like
 * any other: the desk must not believe its plaintext columns for that.
 *
 *	forge CONFIG [NAME=VALUE ...]
 *
 * Each NAME is a field of the report (tl_fields[]: a plaintext column's
 * value goes into its column, a sealed field's into the blob, both as
 * given, unchecked), or one of the row's own columns: priority (urgent
 * or normal, what the schema's CHECK allows), area, received_at,
 * has_people, has_vehicles, phones. sealed_bytes=N stores N bytes of
 * filler as the blob instead of the seal (it does not open). Unset: a
 * plain tip about dealing, now, normal. Prints the tip's reference.
 *
 * Used by tests/e2e/trust_ingest.py.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "config.h"
#include "store.h"
#include "tip.h"

/* The row forge() writes: the report and what overrides its columns. */
struct forged {
	struct tl_report	 r;
	const char		*area;
	long long		 received_at, counts[3];
	int			 set_area, set_counts[3];
	size_t			 sealed_bytes;
};

/* Reads one NAME=VALUE into f: 0, or -1 when NAME is not known. */
static int
parse_arg(struct forged *f, char *arg)
{
	static const char *const counts[] = { "has_people", "has_vehicles",
	    "phones" };
	char	*eq = strchr(arg, '=');
	int	 i;

	if (eq == NULL)
		return -1;
	*eq++ = '\0';
	if (strcmp(arg, "priority") == 0)
		f->r.priority = strcmp(eq, "urgent") == 0 ? TL_PRIO_URGENT :
		    TL_PRIO_NORMAL;
	else if (strcmp(arg, "area") == 0) {
		f->area = eq;
		f->set_area = 1;
	} else if (strcmp(arg, "received_at") == 0)
		f->received_at = strtoll(eq, NULL, 10);
	else if (strcmp(arg, "sealed_bytes") == 0)
		f->sealed_bytes = (size_t)strtoull(eq, NULL, 10);
	else if ((i = tl_field_find(arg, strlen(arg))) >= 0)
		f->r.value[i] = eq;
	else {
		for (i = 0; i < 3 && strcmp(arg, counts[i]) != 0; i++)
			;
		if (i == 3)
			return -1;
		f->counts[i] = strtoll(eq, NULL, 10);
		f->set_counts[i] = 1;
	}
	return 0;
}

static int
forge(struct tl_store *s, const struct tl_config *cfg, struct forged *f)
{
	struct tl_submit	 sub;
	struct tl_tip		 view;
	uint8_t			 pk[TL_SEAL_KEYBYTES], *blob = NULL;
	char			 want[TL_REF_SIZE], ref[TL_REF_SIZE], err[512];
	int			 rc = 1;

	if (tl_seal_public_read(cfg->staff_public_key_file, pk, err,
	    sizeof(err)) != TL_OK)
		goto out;
	tl_ref_random(want);
	tl_tip_view(&view, want, f->received_at, &f->r);
	if (f->set_area)
		snprintf(view.area, sizeof(view.area), "%s", f->area);
	if (f->set_counts[0])
		view.has_people = (int)f->counts[0];
	if (f->set_counts[1])
		view.has_vehicles = (int)f->counts[1];
	if (f->set_counts[2])
		view.nphones = (int)f->counts[2];
	memset(&sub, 0, sizeof(sub));
	sub.report = &f->r;
	sub.received_at = view.received_at;
	if (tl_tip_seal(&view, pk, &blob, &sub.sealed_len, err, sizeof(err))
	    != TL_OK)
		goto out;
	if (f->sealed_bytes > 0) {
		free(blob);
		if ((blob = malloc(f->sealed_bytes)) == NULL) {
			snprintf(err, sizeof(err), "out of memory");
			goto out;
		}
		memset(blob, 0xa5, f->sealed_bytes);
		sub.sealed_len = f->sealed_bytes;
	}
	sub.ref = view.ref;
	sub.sealed = blob;
	sub.area = view.area[0] != '\0' ? view.area : NULL;
	sub.has_people = view.has_people;
	sub.has_vehicles = view.has_vehicles;
	sub.nphones = view.nphones;
	if (tl_store_add(s, &sub, ref) != TL_OK) {
		snprintf(err, sizeof(err), "%s", tl_store_errmsg(s));
		goto out;
	}
	printf("%s\n", ref);
	rc = 0;
out:
	if (rc != 0)
		fprintf(stderr, "forge: %s\n", err);
	free(blob);
	return rc;
}

int
main(int argc, char **argv)
{
	struct tl_config	 cfg;
	struct tl_store		*s;
	struct forged		 f;
	char			 err[512];
	int			 i, rc;

	memset(&f, 0, sizeof(f));
	tl_report_init(&f.r);
	f.r.value[TL_F_CONCERNS] = (char *)"dealing";
	f.r.value[TL_F_DESCRIPTION] = (char *)"Someone sells from the car "
	    "park behind the leisure centre.";
	f.r.value[TL_F_LOCATION] = (char *)"Leisure centre car park";
	f.received_at = (long long)time(NULL);
	for (i = 2; i < argc; i++)
		if (parse_arg(&f, argv[i]) != 0) {
			fprintf(stderr, "forge: %s: not a field or column\n",
			    argv[i]);
			return 2;
		}
	if (argc < 2) {
		fprintf(stderr, "usage: forge CONFIG [NAME=VALUE ...]\n");
		return 2;
	}
	if (sodium_init() < 0 ||
	    tl_config_load(argv[1], &cfg, err, sizeof(err)) != TL_OK ||
	    tl_store_attach(cfg.database, &s, err, sizeof(err)) != TL_OK) {
		fprintf(stderr, "forge: %s\n", err);
		return 1;
	}
	rc = forge(s, &cfg, &f);
	tl_store_close(s);
	tl_config_free(&cfg);
	return rc;
}
