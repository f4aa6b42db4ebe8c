/*
 * notifier.h — the delivery loop of tipline-notify (SPEC 6): lease due
 * deliveries, send each signed summary with libcurl, record the outcome.
 */
#ifndef TL_NOTIFIER_H
#define TL_NOTIFIER_H

#include <signal.h>

#include "config.h"
#include "tl.h"

struct tl_notifier;

/*
 * Reads the webhook secret and opens the store. Returns TL_OK, or an error
 * with the reason in err. cfg must outlive the notifier.
 */
enum tl_err tl_notifier_new(const struct tl_config *cfg,
	    struct tl_notifier **out, char *err, size_t errlen);
void tl_notifier_free(struct tl_notifier *n);

/*
 * Sends what is due now, once. Sets *failed to the number of attempts that
 * did not deliver. Returns TL_OK, or TL_ESTORE when the store failed.
 */
enum tl_err tl_notifier_pass(struct tl_notifier *n, size_t *failed);

/*
 * Runs passes every poll_ms until *stop becomes non-zero; a stop leaves
 * nothing leased. Returns TL_OK, or TL_ESTORE when the store cannot be
 * used (1000 passes in a row failed).
 */
enum tl_err tl_notifier_run(struct tl_notifier *n, volatile sig_atomic_t *stop);

#endif
