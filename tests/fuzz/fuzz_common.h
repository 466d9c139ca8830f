/*
 * fuzz_common.h - what the libFuzzer harnesses share: the link types an
 * input's first byte picks from (make-seeds.py and make-pipeline-seeds.py
 * write their indices, so this order is part of the corpora), and the
 * check that turns a broken contract into a crash the fuzzer reports.
 */
#ifndef NM_FUZZ_COMMON_H
#define NM_FUZZ_COMMON_H

#include <stdlib.h>

#include "../../capture/decode/decode.h"

static const int fuzz_linktypes[] = {
    NM_LINKTYPE_ETHERNET, NM_LINKTYPE_LINUX_SLL, NM_LINKTYPE_LINUX_SLL2, NM_LINKTYPE_NULL,
    NM_LINKTYPE_LOOP,     NM_LINKTYPE_RAW,       NM_DLT_RAW_12,          NM_DLT_RAW_14,
    NM_LINKTYPE_IPV4,     NM_LINKTYPE_IPV6,
};
#define N_LINKTYPES (sizeof fuzz_linktypes / sizeof fuzz_linktypes[0])

static inline void check(int ok)
{
    if (!ok)
        abort();
}

#endif /* NM_FUZZ_COMMON_H */
