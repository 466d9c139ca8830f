/*
 * replay_main.c - runs a libFuzzer harness's LLVMFuzzerTestOneInput over
 * every file in a directory, with any compiler and without libFuzzer, so
 * each test run re-checks the saved corpus and old crashers.
 *
 *   replay_decode DIR
 *
 * Each file is read into a buffer of exactly its size, so a sanitizer build
 * catches reads past the input as the fuzzer would.  Exit 0 when every file
 * ran (a failed check aborts), 1 if the directory or a file cannot be read.
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REPLAY_MAX_FILE (1u << 20)  /* corpus entries are frames: 1 MiB is plenty */

static int replay_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    struct stat st;
    uint8_t *buf;
    size_t n;

    if (f == NULL || fstat(fileno(f), &st) != 0) {
        fprintf(stderr, "%s: %s\n", path, strerror(errno));
        if (f != NULL)
            fclose(f);
        return -1;
    }
    if (st.st_size < 0 || (uint64_t)st.st_size > REPLAY_MAX_FILE) {
        fprintf(stderr, "%s: larger than %u bytes\n", path, REPLAY_MAX_FILE);
        fclose(f);
        return -1;
    }
    n = (size_t)st.st_size;
    buf = malloc(n ? n : 1);
    if (buf == NULL || fread(buf, 1, n, f) != n) {
        fprintf(stderr, "%s: cannot read\n", path);
        free(buf);
        fclose(f);
        return -1;
    }
    fclose(f);
    LLVMFuzzerTestOneInput(buf, n);
    free(buf);
    return 0;
}

int main(int argc, char **argv)
{
    char path[4096];
    struct dirent *e;
    struct stat st;
    unsigned long ran = 0, failed = 0;
    DIR *d;

    if (argc != 2) {
        fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
        return 1;
    }
    d = opendir(argv[1]);
    if (d == NULL) {
        fprintf(stderr, "%s: %s\n", argv[1], strerror(errno));
        return 1;
    }
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        if (snprintf(path, sizeof path, "%s/%s", argv[1], e->d_name) >= (int)sizeof path) {
            fprintf(stderr, "%s/%s: path too long\n", argv[1], e->d_name);
            failed++;
            continue;
        }
        if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
            continue;
        if (replay_file(path) != 0)
            failed++;
        else
            ran++;
    }
    closedir(d);
    printf("%s: %lu inputs replayed, %lu unreadable\n", argv[1], ran, failed);
    return failed ? 1 : 0;
}
