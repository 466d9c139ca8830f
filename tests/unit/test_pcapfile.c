/*
 * test_pcapfile.c - capture/pcapfile.c on files built here byte by byte:
 * which files it takes (and which it leaves to libpcap), and the records
 * it hands out, against the values written.  t-pcapfile compares it with
 * libpcap on real captures; this test shows the reader is the one running.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../capture/pcapfile.h"
#include "check.h"

struct rec {
    uint32_t sec, frac, caplen, len;
    uint8_t fill;                 /* every data byte */
};

/* A new temporary file for writing, its name in path[64]. */
static FILE *temp_file(char *path)
{
    snprintf(path, 64, "/tmp/nm-test-pcapfile-XXXXXX");
    int fd = mkstemp(path);
    return fd < 0 ? NULL : fdopen(fd, "wb");
}

/* Closes fp and keeps `cut` bytes of the file if cut > 0: path or NULL. */
static const char *finish_file(FILE *fp, const char *path, size_t cut)
{
    fclose(fp);
    if (cut && truncate(path, (off_t)cut) != 0)
        return NULL;
    return path;
}

/* Writes a classic pcap in this machine's byte order; returns its path
 * (static buffer) or NULL.  `cut` > 0 keeps only that many bytes. */
static const char *make_file(uint32_t magic, uint16_t major, uint16_t minor, uint32_t snaplen,
                             uint32_t linktype, const struct rec *r, int n, size_t cut)
{
    static char path[64];
    FILE *fp = temp_file(path);
    if (fp == NULL)
        return NULL;
    uint32_t zero = 0;
    fwrite(&magic, 4, 1, fp);
    fwrite(&major, 2, 1, fp);
    fwrite(&minor, 2, 1, fp);
    fwrite(&zero, 4, 1, fp);
    fwrite(&zero, 4, 1, fp);
    fwrite(&snaplen, 4, 1, fp);
    fwrite(&linktype, 4, 1, fp);
    for (int i = 0; i < n; i++) {
        fwrite(&r[i], 4, 4, fp);
        for (uint32_t b = 0; b < r[i].caplen; b++)
            fputc(r[i].fill, fp);
    }
    return finish_file(fp, path, cut);
}

static struct nm_pcapfile *open_made(const char *path, struct nm_pcapfile_info *info, bool *mine)
{
    char err[256];
    return path ? nm_pcapfile_open(path, info, mine, err, sizeof err) : NULL;
}

/* The status of f's next record, its contents unused. */
static enum nm_pcapfile_status next_status(struct nm_pcapfile *f, char *err, size_t errlen)
{
    int64_t ts;
    uint32_t cap, len;
    const uint8_t *d;
    return nm_pcapfile_next(f, &ts, &cap, &len, &d, err, errlen);
}

static void test_takes_and_reads(void)
{
    const struct rec r[] = {
        { 1700000000u, 123456u, 60, 60, 0xaa },
        { 0xf0000000u, 999999u, 1514, 1514, 0xbb },  /* negative as int32: before 1970 */
        { 1700000001u, 0u, 100, 9000, 0xcc },         /* captured less than on the wire */
    };
    struct nm_pcapfile_info info;
    bool mine = false;
    const char *path = make_file(0xa1b2c3d4u, 2, 4, 65535, 1, r, 3, 0);
    struct nm_pcapfile *f = open_made(path, &info, &mine);
    CHECK(f != NULL);
    CHECK(mine);
    if (!f)
        return;
    CHECK_EQ_U(info.linktype, 1);
    CHECK_EQ_U(info.snaplen, 65535);
    CHECK_EQ_U(info.ts_precision, 6);
    for (int i = 0; i < 3; i++) {
        int64_t ts;
        uint32_t cap, len;
        const uint8_t *d;
        char err[256];
        CHECK_EQ_U(nm_pcapfile_next(f, &ts, &cap, &len, &d, err, sizeof err), NM_PCAPFILE_PACKET);
        CHECK(ts == (int64_t)(int32_t)r[i].sec * 1000000000 + (int64_t)r[i].frac * 1000);
        CHECK_EQ_U(cap, r[i].caplen);
        CHECK_EQ_U(len, r[i].len);
        CHECK(d[0] == r[i].fill && d[cap - 1] == r[i].fill);
    }
    int64_t ts;
    uint32_t cap, len;
    const uint8_t *d;
    char err[256];
    CHECK_EQ_U(nm_pcapfile_next(f, &ts, &cap, &len, &d, err, sizeof err), NM_PCAPFILE_EOF);
    nm_pcapfile_close(f);
    unlink(path);

    /* Nanoseconds, and records longer than the snapshot length cut to it. */
    const struct rec n[] = { { 1700000000u, 123456789u, 200, 200, 0x11 } };
    path = make_file(0xa1b23c4du, 2, 4, 64, 113, n, 1, 0);
    f = open_made(path, &info, &mine);
    CHECK(f != NULL);
    if (f) {
        CHECK_EQ_U(info.ts_precision, 9);
        CHECK_EQ_U(info.linktype, 113);
        CHECK_EQ_U(nm_pcapfile_next(f, &ts, &cap, &len, &d, err, sizeof err), NM_PCAPFILE_PACKET);
        CHECK(ts == 1700000000LL * 1000000000 + 123456789);
        CHECK_EQ_U(cap, 64);
        CHECK_EQ_U(len, 200);
        CHECK_EQ_U(nm_pcapfile_next(f, &ts, &cap, &len, &d, err, sizeof err), NM_PCAPFILE_EOF);
        nm_pcapfile_close(f);
    }
    unlink(path);
}

/* Files it leaves to libpcap: *mine false, nothing said. */
static void test_leaves(void)
{
    const struct rec r[] = { { 1, 0, 60, 60, 0 } };
    struct {
        uint32_t magic;
        uint16_t major, minor;
        uint32_t linktype;
    } other[] = {
        { 0xd4c3b2a1u, 2, 4, 1 },     /* the other byte order */
        { 0x0a0d0d0au, 2, 4, 1 },     /* pcapng */
        { 0xa1b2c3d4u, 2, 3, 1 },     /* another version */
        { 0xa1b2c3d4u, 2, 4, 101 },   /* LINKTYPE_RAW: libpcap maps it to DLT_RAW */
        { 0xa1b2c3d4u, 2, 4, 1u | 0x04000000u },  /* FCS bits in the link type */
    };
    for (size_t i = 0; i < sizeof other / sizeof other[0]; i++) {
        struct nm_pcapfile_info info;
        bool mine = true;
        const char *path =
            make_file(other[i].magic, other[i].major, other[i].minor, 65535, other[i].linktype, r, 1, 0);
        struct nm_pcapfile *f = open_made(path, &info, &mine);
        CHECK(f == NULL);
        CHECK(!mine);
        nm_pcapfile_close(f);
        if (path)
            unlink(path);
    }
    /* Shorter than a file header: libpcap words that. */
    struct nm_pcapfile_info info;
    bool mine = true;
    const char *path = make_file(0xa1b2c3d4u, 2, 4, 65535, 1, r, 1, 20);
    CHECK(open_made(path, &info, &mine) == NULL);
    CHECK(!mine);
    if (path)
        unlink(path);
}

/* Cut short and oversized records: libpcap's statuses and words. */
static void test_bad_records(void)
{
    const struct rec r[] = { { 1, 0, 60, 60, 0 }, { 2, 0, 100, 100, 0 } };
    const size_t whole = 24 + 16 + 60 + 16 + 100;
    struct {
        size_t cut;
        uint32_t snaplen;
        enum nm_pcapfile_status want;
        const char *msg;
    } c[] = {
        { whole - 100 - 16 + 7, 65535, NM_PCAPFILE_TRUNCATED,
          "truncated dump file; tried to read 16 header bytes, only got 7" },
        { whole - 50, 65535, NM_PCAPFILE_TRUNCATED,
          "truncated dump file; tried to read 100 captured bytes, only got 50" },
        { whole - 90, 64, NM_PCAPFILE_TRUNCATED,
          "truncated dump file; tried to read 64 captured bytes, only got 10" },
    };
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        struct nm_pcapfile_info info;
        bool mine;
        const char *path = make_file(0xa1b2c3d4u, 2, 4, c[i].snaplen, 1, r, 2, c[i].cut);
        struct nm_pcapfile *f = open_made(path, &info, &mine);
        CHECK(f != NULL);
        if (!f)
            continue;
        int64_t ts;
        uint32_t cap, len;
        const uint8_t *d;
        char err[256] = "";
        CHECK_EQ_U(nm_pcapfile_next(f, &ts, &cap, &len, &d, err, sizeof err), NM_PCAPFILE_PACKET);
        CHECK_EQ_U(nm_pcapfile_next(f, &ts, &cap, &len, &d, err, sizeof err), c[i].want);
        CHECK_EQ_S(err, c[i].msg);
        nm_pcapfile_close(f);
        unlink(path);
    }
    const struct rec big[] = { { 1, 0, 300000, 300000, 0 } };
    struct nm_pcapfile_info info;
    bool mine;
    const char *path = make_file(0xa1b2c3d4u, 2, 4, 65535, 1, big, 1, 0);
    struct nm_pcapfile *f = open_made(path, &info, &mine);
    CHECK(f != NULL);
    if (f) {
        char err[256] = "";
        CHECK_EQ_U(next_status(f, err, sizeof err), NM_PCAPFILE_ERROR);
        CHECK_EQ_S(err, "invalid packet capture length 300000, bigger than snaplen of 65535");
        nm_pcapfile_close(f);
    }
    if (path)
        unlink(path);
}

/* Byte b of record i in the files of test_many_blocks. */
static uint8_t big_byte(int i, uint32_t b)
{
    return (uint8_t)((uint32_t)i * 7u + b * 13u + (b >> 8));
}

/* A file of n records of the sizes in `caps` (cycled), each byte telling
 * its record and offset; `cut` as make_file.  Returns its path or NULL. */
static const char *make_big(const uint32_t *caps, int ncaps, int n, size_t cut)
{
    static char path[64];
    static uint8_t data[262144];
    FILE *fp = temp_file(path);
    if (fp == NULL)
        return NULL;
    const uint32_t h[6] = { 0xa1b2c3d4u, 2u | 4u << 16, 0, 0, 262144, 1 };
    fwrite(h, 4, 6, fp);
    for (int i = 0; i < n; i++) {
        uint32_t cap = caps[i % ncaps];
        const uint32_t rh[4] = { 1700000000u + (uint32_t)i, (uint32_t)i, cap, cap };
        fwrite(rh, 4, 4, fp);
        for (uint32_t b = 0; b < cap; b++)
            data[b] = big_byte(i, b);
        fwrite(data, 1, cap, fp);
    }
    return finish_file(fp, path, cut);
}

/* Reads every record of a make_big() file; returns how many were whole
 * (every byte checked) before the status that ended the file. */
static int read_big(const char *path, const uint32_t *caps, int ncaps,
                    enum nm_pcapfile_status *end, char *err, size_t errlen)
{
    struct nm_pcapfile_info info;
    bool mine;
    struct nm_pcapfile *f = open_made(path, &info, &mine);
    int i = 0;
    CHECK(f != NULL);
    if (!f)
        return -1;
    for (;; i++) {
        int64_t ts;
        uint32_t cap, len;
        const uint8_t *d;
        *end = nm_pcapfile_next(f, &ts, &cap, &len, &d, err, errlen);
        if (*end != NM_PCAPFILE_PACKET)
            break;
        uint32_t want = caps[i % ncaps];
        bool same = cap == want && len == want && ts == (1700000000LL + i) * 1000000000 + i * 1000;
        for (uint32_t b = 0; same && b < cap; b++)
            same = d[b] == big_byte(i, b);
        CHECK(same);
        if (!same)
            break;
    }
    nm_pcapfile_close(f);
    return i;
}

/* Files of many buffers (the reader's buffer holds two of the largest
 * records, 524,320 bytes, and moves what is left to its start before each
 * read): records of every size up to the largest that straddle refills,
 * files of records that fill whole megabytes, files cut short after many
 * refills, and a file closed after its first record.  Each byte is checked. */
static void test_many_blocks(void)
{
    static const uint32_t caps[] = { 60, 1514, 262144, 9000, 40, 65535, 200000, 1, 262143 };
    const int ncaps = 9, n = 57;     /* the last record is one of 262,144 bytes */
    size_t whole = 24;
    for (int i = 0; i < n; i++)
        whole += 16 + caps[i % ncaps];
    CHECK(whole > 8 * 512 * 1024);
    enum nm_pcapfile_status end;
    char err[256] = "";
    const char *path = make_big(caps, ncaps, n, 0);
    CHECK_EQ_U(read_big(path, caps, ncaps, &end, err, sizeof err), n);
    CHECK_EQ_U(end, NM_PCAPFILE_EOF);
    if (path)
        unlink(path);

    /* Records of 65,520 bytes: 16 of them make a megabyte. */
    static const uint32_t even[] = { 65520 };
    path = make_big(even, 1, 16, 0);
    CHECK_EQ_U(read_big(path, even, 1, &end, err, sizeof err), 16);
    CHECK_EQ_U(end, NM_PCAPFILE_EOF);
    if (path)
        unlink(path);

    /* Cut 1000 bytes into the last record's data, then 5 bytes into its
     * header. */
    size_t last = whole - caps[(n - 1) % ncaps] - 16;   /* where the last record starts */
    path = make_big(caps, ncaps, n, last + 16 + 1000);
    CHECK_EQ_U(read_big(path, caps, ncaps, &end, err, sizeof err), n - 1);
    CHECK_EQ_U(end, NM_PCAPFILE_TRUNCATED);
    CHECK_EQ_S(err, "truncated dump file; tried to read 262144 captured bytes, only got 1000");
    if (path)
        unlink(path);
    path = make_big(caps, ncaps, n, last + 5);
    CHECK_EQ_U(read_big(path, caps, ncaps, &end, err, sizeof err), n - 1);
    CHECK_EQ_U(end, NM_PCAPFILE_TRUNCATED);
    CHECK_EQ_S(err, "truncated dump file; tried to read 16 header bytes, only got 5");
    if (path)
        unlink(path);

    path = make_big(caps, ncaps, n, 0);
    struct nm_pcapfile_info info;
    bool mine;
    struct nm_pcapfile *f = open_made(path, &info, &mine);
    CHECK(f != NULL);
    if (f) {
        CHECK_EQ_U(next_status(f, err, sizeof err), NM_PCAPFILE_PACKET);
        nm_pcapfile_close(f);
    }
    if (path)
        unlink(path);
}

int main(int argc, char **argv)
{
    (void)argc;
    test_takes_and_reads();
    test_leaves();
    test_bad_records();
    test_many_blocks();
    return check_report(argv[0]);
}
