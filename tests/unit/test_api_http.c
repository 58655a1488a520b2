// SPDX-License-Identifier: MIT
/*
 * The control API's request parser: what it accepts, and that every
 * malformed or oversized request is refused with its own status and never
 * read past the bytes it was given.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/api/http_parse.h"

static enum http_parse_result parse(const char *s, struct http_request *r,
				    struct http_parse_error *e)
{
	/* An exact-size heap copy: ASan sees any read past the end. */
	size_t len = strlen(s);
	char *copy = malloc(len ? len : 1);
	enum http_parse_result res;

	memcpy(copy, s, len);
	res = http_parse(copy, len, r, e);
	/* body points into the copy: check it before freeing. */
	if (res == HTTP_PARSE_OK && r->body_len)
		cr_assert(r->body >= copy &&
			  r->body + r->body_len <= copy + len);
	free(copy);
	return res;
}

static int error_status(const char *s)
{
	struct http_request r;
	struct http_parse_error e = { 0, NULL };

	cr_assert_eq(parse(s, &r, &e), HTTP_PARSE_ERROR, "accepted: %s", s);
	cr_assert(e.msg && *e.msg);
	return e.status;
}

Test(api_http, get_without_body)
{
	struct http_request r;
	struct http_parse_error e;

	cr_assert_eq(parse("GET /vm HTTP/1.1\r\nHost: x\r\n\r\n", &r, &e),
		     HTTP_PARSE_OK);
	cr_assert_str_eq(r.method, "GET");
	cr_assert_str_eq(r.path, "/vm");
	cr_assert_eq(r.body_len, 0);
}

Test(api_http, put_with_body_and_curl_headers)
{
	const char *req = "PUT /vm/state HTTP/1.1\r\nHost: localhost\r\n"
			  "User-Agent: curl/7.88.1\r\nAccept: */*\r\n"
			  "content-type: application/json\r\n"
			  "Content-Length:  18 \r\n\r\n{\"state\":\"Paused\"}";
	struct http_request r;
	struct http_parse_error e;

	cr_assert_eq(parse(req, &r, &e), HTTP_PARSE_OK);
	cr_assert_str_eq(r.method, "PUT");
	cr_assert_str_eq(r.path, "/vm/state");
	cr_assert_eq(r.body_len, 18);
	cr_assert(r.has_content_type_json);
}

Test(api_http, incomplete_until_whole)
{
	const char *req =
	    "PUT /actions HTTP/1.1\r\nContent-Length: 4\r\n\r\nabcd";
	struct http_request r;
	struct http_parse_error e;
	size_t i, len = strlen(req);

	for (i = 0; i < len; i++)
		cr_assert_eq(http_parse(req, i, &r, &e), HTTP_PARSE_INCOMPLETE,
			     "prefix of %zu bytes", i);
	cr_assert_eq(http_parse(req, len, &r, &e), HTTP_PARSE_OK);
	cr_assert_eq(memcmp(r.body, "abcd", 4), 0);
}

Test(api_http, malformed_request_lines)
{
	cr_assert_eq(error_status("GET\r\n\r\n"), 400);
	cr_assert_eq(error_status("GET /vm\r\n\r\n"), 400);
	cr_assert_eq(error_status("GET vm HTTP/1.1\r\n\r\n"), 400);
	cr_assert_eq(error_status("G(T /vm HTTP/1.1\r\n\r\n"), 400);
	cr_assert_eq(error_status("GETTTTTTTTT /vm HTTP/1.1\r\n\r\n"), 400);
	cr_assert_eq(error_status("GET /v m HTTP/1.1\r\n\r\n"), 505);
	cr_assert_eq(error_status("GET /vm HTTP/2.0\r\n\r\n"), 505);
	cr_assert_eq(error_status("GET /vm HTTP/1.1\nHost: x\r\n\r\n"), 400);
	cr_assert_eq(error_status("GET /\x80 HTTP/1.1\r\n\r\n"), 400);
}

Test(api_http, malformed_headers)
{
	cr_assert_eq(error_status("GET /vm HTTP/1.1\r\nNoColon\r\n\r\n"), 400);
	cr_assert_eq(error_status("GET /vm HTTP/1.1\r\n: v\r\n\r\n"), 400);
	cr_assert_eq(error_status("GET /vm HTTP/1.1\r\nA: b\r\n c\r\n\r\n"),
		     400);
	cr_assert_eq(error_status("GET /vm HTTP/1.1\r\nA\x01: b\r\n\r\n"), 400);
	cr_assert_eq(error_status("GET /vm HTTP/1.1\r\nA: b\x7f\r\n\r\n"), 400);
	cr_assert_eq(error_status("GET /vm HTTP/1.1\r\nA: b\rc\r\n\r\n"), 400);
	cr_assert_eq(
	    error_status("PUT /vm HTTP/1.1\r\nContent-Length: -1\r\n\r\n"),
	    400);
	cr_assert_eq(
	    error_status("PUT /vm HTTP/1.1\r\nContent-Length: 1x\r\n\r\n"),
	    400);
	cr_assert_eq(error_status("PUT /vm HTTP/1.1\r\nContent-Length: 1\r\n"
				  "Content-Length: 2\r\n\r\n"),
		     400);
	cr_assert_eq(error_status("PUT /vm HTTP/1.1\r\n"
				  "Transfer-Encoding: chunked\r\n\r\n"),
		     501);
}

Test(api_http, nul_byte_refused)
{
	static const char req[] = "GET /vm HTTP/1.1\r\nA: \0b\r\n\r\n";
	struct http_request r;
	struct http_parse_error e;

	cr_assert_eq(http_parse(req, sizeof(req) - 1, &r, &e),
		     HTTP_PARSE_ERROR);
	cr_assert_eq(e.status, 400);
}

Test(api_http, limits)
{
	char *big = malloc(HTTP_MAX_REQUEST + 64);
	struct http_request r;
	struct http_parse_error e;
	size_t n;

	/* A request line past the limit: 414 before its end arrives. */
	memcpy(big, "GET /", 5);
	memset(big + 5, 'a', HTTP_MAX_REQUEST_LINE + 10);
	cr_assert_eq(http_parse(big, HTTP_MAX_REQUEST_LINE + 15, &r, &e),
		     HTTP_PARSE_ERROR);
	cr_assert_eq(e.status, 414);
	/* A path past its limit in a short line. */
	n = (size_t)sprintf(big, "GET /%0*d HTTP/1.1\r\n\r\n", HTTP_MAX_PATH,
			    0);
	cr_assert_eq(http_parse(big, n, &r, &e), HTTP_PARSE_ERROR);
	cr_assert_eq(e.status, 414);
	/* Headers that never end: 431 at the head limit. */
	n = (size_t)sprintf(big, "GET /vm HTTP/1.1\r\n");
	while (n < HTTP_MAX_HEAD)
		n += (size_t)sprintf(big + n, "X-A: b\r\n");
	cr_assert_eq(http_parse(big, n, &r, &e), HTTP_PARSE_ERROR);
	cr_assert_eq(e.status, 431);
	/* Too many header lines. */
	n = (size_t)sprintf(big, "GET /vm HTTP/1.1\r\n");
	for (int i = 0; i <= HTTP_MAX_HEADERS; i++)
		n += (size_t)sprintf(big + n, "X-%d: b\r\n", i);
	n += (size_t)sprintf(big + n, "\r\n");
	cr_assert_eq(http_parse(big, n, &r, &e), HTTP_PARSE_ERROR);
	cr_assert_eq(e.status, 431);
	/* A body past the limit, refused before it is sent. */
	n = (size_t)sprintf(big,
			    "PUT /vm HTTP/1.1\r\nContent-Length: %d\r\n\r\n",
			    HTTP_MAX_BODY + 1);
	cr_assert_eq(http_parse(big, n, &r, &e), HTTP_PARSE_ERROR);
	cr_assert_eq(e.status, 413);
	n = (size_t)sprintf(big, "PUT /vm HTTP/1.1\r\nContent-Length: "
				 "99999999999999999999999\r\n\r\n");
	cr_assert_eq(http_parse(big, n, &r, &e), HTTP_PARSE_ERROR);
	cr_assert_eq(e.status, 413);
	free(big);
}

Test(api_http, status_texts)
{
	cr_assert_str_eq(http_status_text(404), "Not Found");
	cr_assert_str_eq(http_status_text(431),
			 "Request Header Fields Too Large");
	cr_assert_str_eq(http_status_text(299), "Error");
}
