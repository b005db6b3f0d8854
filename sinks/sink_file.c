/* SPDX-License-Identifier: BSD-3-Clause */
#include "sink_file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct sink_file {
	char *dir;
	const struct sink_topics *topics;
	FILE *f[SINK_MAX_TOPICS]; /* opened on a topic's first message */
};

struct sink_file *sink_file_open(const char *dir, const struct sink_topics *topics, char *err,
				 size_t errlen)
{
	struct sink_file *sf = calloc(1, sizeof(*sf));
	struct stat st;
	int e;

	if (sf == NULL || (sf->dir = strdup(dir)) == NULL) {
		free(sf);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	sf->topics = topics;
	/* the files open later: whether they can is checked now */
	if ((mkdir(dir, 0755) != 0 && errno != EEXIST) || stat(dir, &st) != 0 ||
	    (!S_ISDIR(st.st_mode) && (errno = ENOTDIR)) || access(dir, W_OK | X_OK) != 0) {
		e = errno;
		snprintf(err, errlen, "--out %s: %s", dir, strerror(e));
		sink_file_close(sf);
		errno = e;
		return NULL;
	}
	return sf;
}

int sink_file_write(struct sink_file *f, uint16_t topic, const uint8_t *value, size_t len)
{
	FILE *fp;

	if (topic >= f->topics->n)
		return -EINVAL;
	fp = f->f[topic];
	if (fp == NULL) {
		char path[4096];

		snprintf(path, sizeof(path), "%s/%s.ndjson", f->dir, f->topics->names[topic]);
		fp = fopen(path, "a");
		if (fp == NULL)
			return -errno;
		setvbuf(fp, NULL, _IOFBF, 1 << 16);
		f->f[topic] = fp;
	}
	if (fwrite(value, 1, len, fp) != len || putc('\n', fp) == EOF)
		return errno ? -errno : -EIO;
	return 0;
}

int sink_file_flush(struct sink_file *f)
{
	unsigned int t;
	int rc = 0;

	for (t = 0; t < f->topics->n; t++)
		if (f->f[t] != NULL && fflush(f->f[t]) != 0 && rc == 0)
			rc = -errno;
	return rc;
}

int sink_file_close(struct sink_file *f)
{
	unsigned int t;
	int rc = 0;

	if (f == NULL)
		return 0;
	for (t = 0; t < SINK_MAX_TOPICS; t++)
		if (f->f[t] != NULL && fclose(f->f[t]) != 0 && rc == 0)
			rc = -errno;
	free(f->dir);
	free(f);
	return rc;
}
