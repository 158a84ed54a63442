/* fuzz_tape.c -- libFuzzer harness for the loan-tape reader: any input must
 * be appended or rejected without a crash, leak, hang or sanitizer report. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "tape.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    absim_deal deal;
    memset(&deal, 0, sizeof deal);
    absim_tape_append_string(&deal, (const char *)data, size, "fuzz.csv", NULL);
    absim_deal_free(&deal);
    return 0;
}
