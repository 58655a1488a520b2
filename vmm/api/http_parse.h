/* SPDX-License-Identifier: MIT */
#ifndef VIREO_VMM_API_HTTP_PARSE_H
#define VIREO_VMM_API_HTTP_PARSE_H

/*
 * The control API's HTTP/1.1 request parser: pure, no I/O, so it can be
 * unit-tested and fuzzed on its own. Any local user who can reach the
 * socket controls every byte, so it is strict: CRLF line ends, a bounded
 * request line, header block and body, Content-Length only (no chunked
 * bodies), and each violation named by a 4xx/5xx status and a message.
 */

#include <stdbool.h>
#include <stddef.h>

#define HTTP_MAX_REQUEST_LINE 1024
/* Request line and headers, with the blank line that ends them. */
#define HTTP_MAX_HEAD 8192
#define HTTP_MAX_HEADERS 32
#define HTTP_MAX_BODY 16384
#define HTTP_MAX_REQUEST (HTTP_MAX_HEAD + HTTP_MAX_BODY)

#define HTTP_MAX_METHOD 8
#define HTTP_MAX_PATH 256

enum http_parse_result {
	HTTP_PARSE_INCOMPLETE, /* a valid prefix: read more */
	HTTP_PARSE_OK,
	HTTP_PARSE_ERROR, /* status and message set: answer and close */
};

struct http_request {
	char method[HTTP_MAX_METHOD + 1];
	char path[HTTP_MAX_PATH + 1];
	size_t head_len; /* bytes up to and including the blank line */
	const char *body; /* into the caller's buffer; body_len bytes */
	size_t body_len;
	bool has_content_type_json;
};

struct http_parse_error {
	int status; /* 400, 413, 414, 431, 501, 505 */
	const char *msg;
};

/*
 * Parses buf[0..len): the whole request must be there for HTTP_PARSE_OK;
 * bytes after the body are ignored (one request per connection).
 */
enum http_parse_result http_parse(const char *buf, size_t len,
				  struct http_request *req,
				  struct http_parse_error *err);

/* "Not Found" for 404, ...; "Error" for codes it does not know. */
const char *http_status_text(int status);

#endif
