/*
 * tiplinectl — the admin's command line (SPEC 7).
 */
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "admin.h"
#include "config.h"

struct cmd {
	const char	*name;
	const char	*usage;
	int		(*run)(const struct tl_config *, int, char **);
};

static int
cmd_init(const struct tl_config *cfg, int argc, char **argv)
{
	(void)argv;
	if (argc != 1)
		return 2;
	return tl_admin_init(cfg, stdout) == 0 ? 0 : 1;
}

static int
cmd_check(const struct tl_config *cfg, int argc, char **argv)
{
	int	 bad;

	(void)argv;
	if (argc != 1)
		return 2;
	if ((bad = tl_admin_check(cfg, stdout)) == 0)
		return 0;
	fprintf(stderr, "tiplinectl: check found %d problem%s\n", bad,
	    bad == 1 ? "" : "s");
	return 1;
}

static const struct cmd cmds[] = {
	{ "init", "init", cmd_init },
	{ "check", "check", cmd_check },
};
#define NCMDS (sizeof(cmds) / sizeof(cmds[0]))

static int
usage(void)
{
	size_t	 i;

	fprintf(stderr, "usage: tiplinectl [-c FILE] command [args]\n"
	    "commands:\n");
	for (i = 0; i < NCMDS; i++)
		fprintf(stderr, "  %s\n", cmds[i].usage);
	return 2;
}

int
main(int argc, char *argv[])
{
	struct tl_config cfg;
	const struct cmd *c = NULL;
	const char	*conf = NULL;
	char		 err[512];
	size_t		 i;
	int		 ch, rc;

	while ((ch = getopt(argc, argv, "+c:")) != -1)
		switch (ch) {
		case 'c':
			conf = optarg;
			break;
		default:
			return usage();
		}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		return usage();
	for (i = 0; i < NCMDS; i++)
		if (strcmp(argv[0], cmds[i].name) == 0)
			c = &cmds[i];
	if (c == NULL) {
		fprintf(stderr, "tiplinectl: unknown command `%s`\n", argv[0]);
		return usage();
	}
	if (sodium_init() < 0) {
		fprintf(stderr, "tiplinectl: libsodium failed to start\n");
		return 1;
	}
	if (tl_config_load(tl_config_path(conf), &cfg, err, sizeof(err))
	    != TL_OK) {
		fprintf(stderr, "tiplinectl: %s\n", err);
		return 1;
	}
	rc = c->run(&cfg, argc, argv);
	if (rc == 2)
		fprintf(stderr, "usage: tiplinectl %s\n", c->usage);
	tl_config_free(&cfg);
	return rc;
}
