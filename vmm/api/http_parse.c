// SPDX-License-Identifier: MIT
#include "vmm/api/http_parse.h"

#include <string.h>
#include <strings.h>

static enum http_parse_result fail(struct http_parse_error *err, int status,
				   const char *msg)
{
	err->status = status;
	err->msg = msg;
	return HTTP_PARSE_ERROR;
}

/* RFC 9110 tchar: what a method or a header name may be made of. */
static bool is_tchar(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	       (c >= 'A' && c <= 'Z') || (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* Visible ASCII, space and tab: no control bytes, no NUL, no 8-bit. */
static bool is_field_char(char c)
{
	return c == '\t' || (c >= ' ' && c <= '~');
}

static enum http_parse_result parse_request_line(const char *p, size_t len,
						 struct http_request *req,
						 struct http_parse_error *err)
{
	const char *sp1 = memchr(p, ' ', len), *sp2, *version;
	size_t mlen, plen, vlen, i;

	if (!sp1)
		return fail(err, 400, "malformed request line");
	mlen = (size_t)(sp1 - p);
	sp2 = memchr(sp1 + 1, ' ', len - mlen - 1);
	if (!sp2)
		return fail(err, 400, "malformed request line");
	plen = (size_t)(sp2 - sp1 - 1);
	version = sp2 + 1;
	vlen = len - (size_t)(version - p);
	if (mlen == 0 || mlen > HTTP_MAX_METHOD)
		return fail(err, 400, "bad method");
	for (i = 0; i < mlen; i++)
		if (!is_tchar(p[i]))
			return fail(err, 400, "bad method");
	if (plen == 0 || sp1[1] != '/')
		return fail(err, 400, "the target must be an absolute path");
	if (plen > HTTP_MAX_PATH)
		return fail(err, 414, "request target too long");
	for (i = 0; i < plen; i++)
		if (sp1[1 + i] <= ' ' || sp1[1 + i] > '~')
			return fail(err, 400, "bad byte in request target");
	if (vlen != 8 || memcmp(version, "HTTP/1.", 7) ||
	    (version[7] != '0' && version[7] != '1'))
		return fail(err, 505, "only HTTP/1.0 and HTTP/1.1 are served");
	memcpy(req->method, p, mlen);
	req->method[mlen] = 0;
	memcpy(req->path, sp1 + 1, plen);
	req->path[plen] = 0;
	return HTTP_PARSE_OK;
}

/* Decimal digits only, no sign, no overflow past the body limit. */
static int parse_length(const char *v, size_t len, size_t *out)
{
	size_t n = 0, i;

	if (len == 0)
		return -1;
	for (i = 0; i < len; i++) {
		if (v[i] < '0' || v[i] > '9')
			return -1;
		n = n * 10 + (size_t)(v[i] - '0');
		if (n > HTTP_MAX_BODY)
			n = HTTP_MAX_BODY + 1; /* sticky: too large */
	}
	*out = n;
	return 0;
}

static bool name_is(const char *name, size_t len, const char *want)
{
	return strlen(want) == len && !strncasecmp(name, want, len);
}

/* One "Name: value" line (without its CRLF). */
static enum http_parse_result parse_header(const char *p, size_t len,
					   struct http_request *req,
					   bool *have_length,
					   struct http_parse_error *err)
{
	const char *colon = memchr(p, ':', len), *v, *end = p + len;
	size_t nlen, i, n;

	if (len && (p[0] == ' ' || p[0] == '\t'))
		return fail(err, 400, "folded header lines are not accepted");
	if (!colon || colon == p)
		return fail(err, 400, "malformed header line");
	nlen = (size_t)(colon - p);
	for (i = 0; i < nlen; i++)
		if (!is_tchar(p[i]))
			return fail(err, 400, "bad header name");
	for (v = colon + 1; v < end; v++)
		if (!is_field_char(*v))
			return fail(err, 400, "bad byte in header value");
	v = colon + 1;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	if (name_is(p, nlen, "Transfer-Encoding"))
		return fail(err, 501,
			    "Transfer-Encoding is not supported: "
			    "send Content-Length");
	if (name_is(p, nlen, "Content-Length")) {
		if (parse_length(v, (size_t)(end - v), &n) < 0)
			return fail(err, 400, "bad Content-Length");
		if (*have_length && n != req->body_len)
			return fail(err, 400, "conflicting Content-Length");
		if (n > HTTP_MAX_BODY)
			return fail(err, 413, "request body too large");
		*have_length = true;
		req->body_len = n;
	} else if (name_is(p, nlen, "Content-Type")) {
		req->has_content_type_json =
		    (size_t)(end - v) >= 16 &&
		    !strncasecmp(v, "application/json", 16);
	}
	return HTTP_PARSE_OK;
}

enum http_parse_result http_parse(const char *buf, size_t len,
				  struct http_request *req,
				  struct http_parse_error *err)
{
	size_t scan = len < HTTP_MAX_HEAD ? len : HTTP_MAX_HEAD;
	const char *head_end = memmem(buf, scan, "\r\n\r\n", 4);
	const char *line, *eol;
	bool have_length = false;
	unsigned int nr_headers = 0;
	enum http_parse_result r;

	memset(req, 0, sizeof(*req));
	/* Reject an overlong or binary request line before its end arrives. */
	eol = memchr(buf, '\n', scan);
	if ((eol ? (size_t)(eol - buf) : scan) > HTTP_MAX_REQUEST_LINE)
		return fail(err, 414, "request line too long");
	if (memchr(buf, 0, scan))
		return fail(err, 400, "NUL byte in request head");
	if (!head_end) {
		if (len >= HTTP_MAX_HEAD)
			return fail(err, 431, "request headers too large");
		return HTTP_PARSE_INCOMPLETE;
	}
	req->head_len = (size_t)(head_end - buf) + 4;
	eol = memmem(buf, req->head_len, "\r\n", 2);
	if (memchr(buf, '\r', (size_t)(eol - buf)) ||
	    memchr(buf, '\n', (size_t)(eol - buf)))
		return fail(err, 400, "bare CR or LF in request line");
	r = parse_request_line(buf, (size_t)(eol - buf), req, err);
	if (r != HTTP_PARSE_OK)
		return r;
	for (line = eol + 2; line < head_end + 2; line = eol + 2) {
		eol = memmem(line, (size_t)(head_end + 2 - line), "\r\n", 2);
		if (memchr(line, '\r', (size_t)(eol - line)) ||
		    memchr(line, '\n', (size_t)(eol - line)))
			return fail(err, 400, "bare CR or LF in header");
		if (++nr_headers > HTTP_MAX_HEADERS)
			return fail(err, 431, "too many header lines");
		r = parse_header(line, (size_t)(eol - line), req, &have_length,
				 err);
		if (r != HTTP_PARSE_OK)
			return r;
	}
	if (len - req->head_len < req->body_len)
		return HTTP_PARSE_INCOMPLETE;
	req->body = buf + req->head_len;
	return HTTP_PARSE_OK;
}

const char *http_status_text(int status)
{
	switch (status) {
	case 200:
		return "OK";
	case 204:
		return "No Content";
	case 400:
		return "Bad Request";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 408:
		return "Request Timeout";
	case 409:
		return "Conflict";
	case 413:
		return "Content Too Large";
	case 414:
		return "URI Too Long";
	case 415:
		return "Unsupported Media Type";
	case 431:
		return "Request Header Fields Too Large";
	case 500:
		return "Internal Server Error";
	case 501:
		return "Not Implemented";
	case 503:
		return "Service Unavailable";
	case 505:
		return "HTTP Version Not Supported";
	default:
		return "Error";
	}
}
