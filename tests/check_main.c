/* check_main.c -- the one Check runner: every module's suite, one summary */
#include <stdlib.h>

#include "check_suites.h"

int main(void)
{
	SRunner *sr = srunner_create(framing_suite());
	int failed;

	srunner_add_suite(sr, intake_suite());
	srunner_add_suite(sr, decode_suite());
	srunner_add_suite(sr, verdict_suite());
	srunner_add_suite(sr, alert_suite());
	srunner_add_suite(sr, config_suite());
	srunner_add_suite(sr, flood_suite());
	srunner_add_suite(sr, refdb_suite());
	srunner_add_suite(sr, manifest_suite());
	/* CK_VERBOSITY=verbose in the environment lists every test. */
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
