/* check_suites.h -- every module's Check suite, collected by check_main.c */
#ifndef CHECK_SUITES_H
#define CHECK_SUITES_H

#include <check.h>

Suite *framing_suite(void);
Suite *intake_suite(void);
Suite *decode_suite(void);
Suite *verdict_suite(void);
Suite *alert_suite(void);
Suite *config_suite(void);
Suite *flood_suite(void);
Suite *refdb_suite(void);
Suite *manifest_suite(void);

#endif
