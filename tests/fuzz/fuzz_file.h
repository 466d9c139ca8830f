/*
 * fuzz_file.h - for the harnesses whose input is a whole capture file
 * (fuzz_pcapfile.c, fuzz_source.c): the bytes as a file that a path opens,
 * as nm-capture is given a path.  Needs _GNU_SOURCE (memfd_create).
 */
#ifndef NM_FUZZ_FILE_H
#define NM_FUZZ_FILE_H

#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

/* A memfd holding data[0..size), its /proc/self/fd path in path; the
 * descriptor (close it when done), or -1. */
static int fuzz_input_file(const uint8_t *data, size_t size, char *path, size_t pathlen)
{
    int fd = memfd_create("fuzz_input", MFD_CLOEXEC);
    size_t done = 0;

    if (fd < 0)
        return -1;
    while (done < size) {
        ssize_t n = write(fd, data + done, size - done);
        if (n <= 0) {
            close(fd);
            return -1;
        }
        done += (size_t)n;
    }
    snprintf(path, pathlen, "/proc/self/fd/%d", fd);
    return fd;
}

#endif /* NM_FUZZ_FILE_H */
