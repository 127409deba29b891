/* act_curl.h - libcurl, loaded on first use
 * SUMMARY  The webhook is the only user of libcurl, and libcurl brings
 *          about thirty shared libraries of its own (TLS, SSH, LDAP,
 *          Kerberos, IDN, HTTP/2, ...). Linked, they are mapped and
 *          relocated at every start of every command: 15-30 ms, more than
 *          a tenth of `mailsentry events` on a million lines. So libcurl
 *          is opened with dlopen when a webhook is first configured, and
 *          its functions are called through act_curl_fn. The header
 *          <curl/curl.h> still gives the types and constants, checked at
 *          build time against the library named by MS_LIBCURL_SONAME.
 *          The members drop the "curl_" prefix: curl.h defines some of the
 *          functions' names as macros (typecheck-gcc.h).
 * ERRORS   act_curl_load: 0, or -1 with err saying which library or
 *          function could not be loaded (dlerror's text) or that
 *          curl_global_init failed. The outcome of the first call is
 *          kept: later calls give the same answer. */
#ifndef MS_ACT_CURL_H
#define MS_ACT_CURL_H

#include <curl/curl.h>
#include <stddef.h>

#ifndef MS_LIBCURL_SONAME
#define MS_LIBCURL_SONAME "libcurl.so.4"
#endif

/* X(return type, name without "curl_", parameters) */
#define ACT_CURL_FUNCS(X)                                                                       \
	X(CURLcode, global_init, (long flags))                                                 \
	X(CURL *, easy_init, (void))                                                           \
	X(CURLcode, easy_setopt, (CURL * h, CURLoption opt, ...))                              \
	X(CURLcode, easy_perform, (CURL * h))                                                  \
	X(CURLcode, easy_getinfo, (CURL * h, CURLINFO info, ...))                              \
	X(const char *, easy_strerror, (CURLcode cc))                                          \
	X(void, easy_cleanup, (CURL * h))                                                      \
	X(struct curl_slist *, slist_append, (struct curl_slist * l, const char *s))           \
	X(void, slist_free_all, (struct curl_slist * l))                                       \
	X(CURLU *, url, (void))                                                                \
	X(CURLUcode, url_set, (CURLU * u, CURLUPart what, const char *part, unsigned flags))   \
	X(CURLUcode, url_get, (const CURLU *u, CURLUPart what, char **part, unsigned flags))   \
	X(const char *, url_strerror, (CURLUcode uc))                                          \
	X(void, url_cleanup, (CURLU * u))                                                      \
	X(void, free, (void *p))

struct act_curl {
#define ACT_CURL_MEMBER(ret, name, params) ret(*name) params;
	ACT_CURL_FUNCS(ACT_CURL_MEMBER)
#undef ACT_CURL_MEMBER
};

/* Valid after act_curl_load returned 0. */
extern struct act_curl act_curl_fn;

/* Open libcurl and run curl_global_init, once per process (thread-safe). */
int act_curl_load(char *err, size_t errlen);

#endif
