/* fuzz_config.c -- libFuzzer harness for the YAML config loader: any input
 * must load or be rejected without a crash, leak, hang or sanitizer report. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    absim_deal deal;
    memset(&deal, 0, sizeof deal);
    if (absim_config_load_string(&deal, (const char *)data, size, "fuzz.yaml", NULL, NULL) == 0)
        absim_deal_free(&deal);
    return 0;
}
