/* output.h -- summary tables and JSON (via jansson) on a FILE stream.
 *
 * JSON keys are exactly those of SPEC section 3; quantile levels used as
 * keys are formatted with "%g". */
#ifndef ABSIM_OUTPUT_H
#define ABSIM_OUTPUT_H

#include <stddef.h>
#include <stdio.h>

#include "results.h"

/* Aligned human-readable summary of one scenario (units shown). */
int absim_output_table(FILE *out, const absim_run_meta *meta, const absim_scenario_result *r);

/* The SPEC JSON object of one scenario, printed with a trailing newline. */
int absim_output_json(FILE *out, const absim_run_meta *meta, const absim_scenario_result *r);

/* Several scenarios: {"scenarios": [...]} (JSON) or one table each plus a
 * tranche x scenario comparison (EL, PD, implied rating, change vs the
 * first scenario, the base). */
int absim_output_stress_json(FILE *out, const absim_run_meta *meta, const absim_scenario_result *r, int n);
int absim_output_stress_table(FILE *out, const absim_run_meta *meta, const absim_scenario_result *r, int n);

/* The deal name (deal.name) found in a YAML config text, into out (cap
 * bytes, truncated); "" when absent or unparsable. Returns ABSIM_OK. */
int absim_output_deal_name(const char *config_text, char *out, size_t cap);

#endif
