/* SPDX-License-Identifier: BSD-3-Clause */
#include "sink_file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct sink_file {
	unsigned int n;
	FILE *f[SINK_MAX_TOPICS];
};

struct sink_file *sink_file_open(const char *dir, const struct sink_topics *topics, char *err,
				 size_t errlen)
{
	struct sink_file *sf = calloc(1, sizeof(*sf));
	char path[4096];
	unsigned int t;
	int e;

	if (sf == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
		e = errno;
		snprintf(err, errlen, "--out %s: %s", dir, strerror(e));
		goto fail;
	}
	for (t = 0; t < topics->n; t++) {
		snprintf(path, sizeof(path), "%s/%s.ndjson", dir, topics->names[t]);
		sf->f[t] = fopen(path, "a");
		if (sf->f[t] == NULL) {
			e = errno;
			snprintf(err, errlen, "%s: %s", path, strerror(e));
			goto fail;
		}
		setvbuf(sf->f[t], NULL, _IOFBF, 1 << 20);
		sf->n = t + 1;
	}
	return sf;
fail:
	sink_file_close(sf);
	errno = e;
	return NULL;
}

int sink_file_write(struct sink_file *f, uint16_t topic, const uint8_t *value, size_t len)
{
	FILE *fp;

	if (topic >= f->n)
		return -EINVAL;
	fp = f->f[topic];
	if (fwrite(value, 1, len, fp) != len || putc('\n', fp) == EOF)
		return errno ? -errno : -EIO;
	return 0;
}

int sink_file_flush(struct sink_file *f)
{
	unsigned int t;
	int rc = 0;

	for (t = 0; t < f->n; t++)
		if (fflush(f->f[t]) != 0 && rc == 0)
			rc = -errno;
	return rc;
}

int sink_file_close(struct sink_file *f)
{
	unsigned int t;
	int rc = 0;

	if (f == NULL)
		return 0;
	for (t = 0; t < f->n; t++)
		if (fclose(f->f[t]) != 0 && rc == 0)
			rc = -errno;
	free(f);
	return rc;
}
