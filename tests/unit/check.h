/*
 * check.h - the unit tests' few assertions.  Each test program prints one
 * line per failed check and exits 1 if any failed.
 */
#ifndef NM_CHECK_H
#define NM_CHECK_H

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static int check_failures;
static int check_count;

#define CHECK(cond)                                                              \
    do {                                                                         \
        check_count++;                                                           \
        if (!(cond)) {                                                           \
            check_failures++;                                                    \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
        }                                                                        \
    } while (0)

#define CHECK_EQ_U(a, b)                                                         \
    do {                                                                         \
        unsigned long long check_a_ = (unsigned long long)(a);                   \
        unsigned long long check_b_ = (unsigned long long)(b);                   \
        check_count++;                                                           \
        if (check_a_ != check_b_) {                                              \
            check_failures++;                                                    \
            fprintf(stderr, "%s:%d: %s == %s failed: %llu != %llu\n", __FILE__,  \
                    __LINE__, #a, #b, check_a_, check_b_);                       \
        }                                                                        \
    } while (0)

#define CHECK_EQ_S(a, b)                                                         \
    do {                                                                         \
        const char *check_a_ = (a), *check_b_ = (b);                             \
        check_count++;                                                           \
        if (strcmp(check_a_, check_b_) != 0) {                                   \
            check_failures++;                                                    \
            fprintf(stderr, "%s:%d: %s == %s failed: \"%s\" != \"%s\"\n",        \
                    __FILE__, __LINE__, #a, #b, check_a_, check_b_);             \
        }                                                                        \
    } while (0)

/* Call at the end of main(): return check_report(argv[0]); */
static inline int check_report(const char *name)
{
    printf("%s: %d checks, %d failed\n", name, check_count, check_failures);
    return check_failures ? 1 : 0;
}

#endif /* NM_CHECK_H */
