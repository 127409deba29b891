/* act_curl.c - libcurl, loaded on first use (see act_curl.h) */
#include "act/act_curl.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

struct act_curl act_curl_fn;

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static char curl_err[256];	/* "" = loaded */

static void
curl_load_once(void)
{
	void *lib, *sym;
	const char *e;
	CURLcode cc;

	/* RTLD_LOCAL: libcurl's dependencies do not become ours. The handle
	 * is kept until the process exits. */
	if ((lib = dlopen(MS_LIBCURL_SONAME, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		e = dlerror();
		snprintf(curl_err, sizeof(curl_err), "libcurl could not be loaded: %s",
			 e != NULL ? e : MS_LIBCURL_SONAME);
		return;
	}
#define ACT_CURL_SYM(ret, name, params)                                                        \
	if ((sym = dlsym(lib, "curl_" #name)) == NULL) {                                       \
		snprintf(curl_err, sizeof(curl_err), "%s has no function curl_" #name,         \
			 MS_LIBCURL_SONAME);                                                    \
		return;                                                                        \
	}                                                                                      \
	memcpy(&act_curl_fn.name, &sym, sizeof(sym));
	ACT_CURL_FUNCS(ACT_CURL_SYM)
#undef ACT_CURL_SYM
	if ((cc = act_curl_fn.global_init(CURL_GLOBAL_DEFAULT)) != CURLE_OK)
		snprintf(curl_err, sizeof(curl_err), "curl_global_init failed: %s",
			 act_curl_fn.easy_strerror(cc));
}

int
act_curl_load(char *err, size_t errlen)
{
	if (pthread_once(&curl_once, curl_load_once) != 0) {
		snprintf(err, errlen, "libcurl could not be loaded: pthread_once failed");
		return -1;
	}
	if (curl_err[0] == '\0')
		return 0;
	snprintf(err, errlen, "%s", curl_err);
	return -1;
}
