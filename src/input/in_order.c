/* in_order.c - placeholder */
#include "input/in_order.h"

void
in_order_sort(const char **paths, size_t n, int year_option)
{
	(void)paths;
	(void)n;
	(void)year_option;
}
