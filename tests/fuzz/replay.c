/*
 * replay.c — runs a fuzz target over saved inputs without libFuzzer, so
 * that `make fuzz-replay` (and so `make check`) replays the corpora under
 * gcc's ASan and UBSan.
 *
 *	replay-TARGET DIR|FILE ...
 *
 * Each input runs in a child process, so that one failure is counted and
 * named and the rest still run (LeakSanitizer checks each child at its
 * exit). Prints "TARGET: N passed, M failed"; exits 1 if any failed.
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fuzz.h"

/* Targets that need no set-up do not define it. */
__attribute__((weak)) int LLVMFuzzerInitialize(int *argc, char ***argv);

static size_t	 passed, failed;

/* Reads path whole into a buffer of exactly its size; NULL on error. */
static uint8_t *
slurp(const char *path, size_t *len)
{
	FILE	*f;
	uint8_t	*buf = NULL;
	long	 n;

	if ((f = fopen(path, "rb")) == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 &&
	    fseek(f, 0, SEEK_SET) == 0 &&
	    (buf = malloc((size_t)n > 0 ? (size_t)n : 1)) != NULL &&
	    fread(buf, 1, (size_t)n, f) == (size_t)n)
		*len = (size_t)n;
	else {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

static void
run_one(const char *path)
{
	uint8_t	*data;
	size_t	 len = 0;
	pid_t	 pid;
	int	 status;

	fflush(NULL);
	if ((pid = fork()) == -1) {
		perror("fork");
		exit(1);
	}
	if (pid == 0) {
		if ((data = slurp(path, &len)) == NULL) {
			fprintf(stderr, "%s: %s\n", path, strerror(errno));
			exit(1);
		}
		LLVMFuzzerTestOneInput(data, len);
		free(data);
		exit(0);
	}
	if (waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	    WEXITSTATUS(status) == 0)
		passed++;
	else {
		failed++;
		fprintf(stderr, "replay: FAILED %s\n", path);
	}
}

/* Runs every regular file of dir (not recursively), in name order. */
static void
run_dir(const char *dir)
{
	struct dirent	**names;
	char		  path[4096];
	struct stat	  st;
	int		  n, i;

	if ((n = scandir(dir, &names, NULL, alphasort)) < 0) {
		perror(dir);
		failed++;
		return;
	}
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
		if (names[i]->d_name[0] != '.' && stat(path, &st) == 0 &&
		    S_ISREG(st.st_mode))
			run_one(path);
		free(names[i]);
	}
	free(names);
}

int
main(int argc, char **argv)
{
	const char	*name = argc > 0 ? argv[0] : "replay";
	struct stat	 st;
	int		 i;

	if (argc < 2) {
		fprintf(stderr, "usage: %s DIR|FILE ...\n", name);
		return 2;
	}
	if (strrchr(name, '/') != NULL)
		name = strrchr(name, '/') + 1;
	if (LLVMFuzzerInitialize != NULL)
		LLVMFuzzerInitialize(&argc, &argv);
	for (i = 1; i < argc; i++) {
		if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode))
			run_dir(argv[i]);
		else
			run_one(argv[i]);
	}
	printf("%s: %zu passed, %zu failed\n", name, passed, failed);
	return failed > 0 ? 1 : 0;
}
