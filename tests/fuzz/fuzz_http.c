/*
 * fuzz_http.c: the HTTP API as a client on the network sees it.
 *
 * Input: the raw bytes of one HTTP request (request line, headers, body).
 * "@T@" anywhere in it becomes the operator's token, so inputs reach past
 * authentication. The harness sends it over loopback to a real gs_http
 * server (libmicrohttpd in the daemon's external-epoll mode) on the town
 * q/c holding the fixed world's history, and runs the server until a whole
 * answer is back, the server closed, or the server has nothing to say for
 * 10 turns (a request cut short: the server waits for the rest until its
 * 30 s idle timeout, also when the client has closed its side). Then it
 * resets the connection, so the server drops it at once.
 *
 * Writes commit: the store grows through a run (each input writes one
 * change at most), which is what a long-lived daemon sees.
 *
 * Invariants (a violation aborts):
 *  - an answer starts "HTTP/1."; a JSON answer (Content-Type
 *    application/json) is valid JSON, and an error one is exactly
 *    {"error": …, "message": …};
 *  - no answer is a 500 (the store is healthy; a 500 means a fault).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <jansson.h>

#include "fuzz_common.h"

#include "gs/http.h"
#include "gs/operators.h"

#define ANSWER_MAX (8 << 20)

static struct gs_http *srv;
static char token[GS_TOKEN_HEX_BYTES + 1];
static int port;

static int
free_port(void)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	int fd, p;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) < 0 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &sl) != 0)
		fz_die("free port", errno);
	p = ntohs(sa.sin_port);
	close(fd);
	return p;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char dir[PATH_MAX], listen[64], err[256];
	gs_node *n;
	int rc;

	(void)argc;
	(void)argv;
	snprintf(dir, sizeof(dir), "%s/town", fz_start("http"));
	n = fz_node_make(dir, FZ_C, fz_nhist);
	if ((rc = gs_operators_add(dir, "值班员", token)) != 0)
		fz_die("gs_operators_add", rc);
	port = free_port();
	snprintf(listen, sizeof(listen), "127.0.0.1:%d", port);
	if ((rc = gs_http_start(n, dir, listen, NULL, NULL, &srv, err,
	    sizeof(err))) != 0) {
		fprintf(stderr, "fuzz_http: %s\n", err);
		fz_die("gs_http_start", rc);
	}
	return 0;
}

/* The input with every "@T@" replaced by the token. */
static char *
expand(const uint8_t *data, size_t size, size_t *out_len)
{
	size_t cap = size + 1, len = 0;
	char *b = malloc(cap);

	if (b == NULL)
		return NULL;
	for (size_t i = 0; i < size; i++) {
		if (i + 3 <= size && memcmp(data + i, "@T@", 3) == 0) {
			char *nb;

			cap += GS_TOKEN_HEX_BYTES;
			if ((nb = realloc(b, cap)) == NULL) {
				free(b);
				return NULL;
			}
			b = nb;
			memcpy(b + len, token, GS_TOKEN_HEX_BYTES);
			len += GS_TOKEN_HEX_BYTES;
			i += 2;
			continue;
		}
		b[len++] = (char)data[i];
	}
	*out_len = len;
	return b;
}

/* True when a[0..len) holds one whole final answer (after any 1xx). */
static bool
answered(const char *a, size_t len)
{
	const char *end, *cl;
	unsigned long n;

	while ((end = memmem(a, len, "\r\n\r\n", 4)) != NULL) {
		size_t head = (size_t)(end - a) + 4;

		if (len >= 10 && a[9] == '1') {     /* "HTTP/1.1 100 ..." */
			a += head;
			len -= head;
			continue;
		}
		cl = memmem(a, head, "Content-Length: ", 16);
		if (cl == NULL || sscanf(cl + 16, "%lu", &n) != 1)
			return false;
		return len - head >= n;
	}
	return false;
}

/* Checks one answer (the whole byte stream the server sent back). */
static void
check(const char *a, size_t len)
{
	const char *body, *ct;
	unsigned status;
	json_error_t je;
	json_t *j;

	if (len == 0)
		return;   /* closed without an answer: a request it dropped */
	FZ_ASSERT(len >= 12 && memcmp(a, "HTTP/1.", 7) == 0);
	FZ_ASSERT(sscanf(a + 9, "%3u", &status) == 1);
	FZ_ASSERT(status != 500);
	if ((body = memmem(a, len, "\r\n\r\n", 4)) == NULL)
		return;
	body += 4;
	ct = memmem(a, (size_t)(body - a), "Content-Type: application/json",
	    strlen("Content-Type: application/json"));
	/* A pipelined second answer would follow the first body: check only
	 * single answers (a fuzzer rarely makes two). */
	if (ct == NULL || memmem(body, len - (size_t)(body - a), "HTTP/1.", 7))
		return;
	j = json_loadb(body, len - (size_t)(body - a), 0, &je);
	FZ_ASSERT(j != NULL);
	if (status >= 400)
		FZ_ASSERT(json_is_object(j) && json_object_size(j) == 2 &&
		    json_is_string(json_object_get(j, "error")) &&
		    json_is_string(json_object_get(j, "message")));
	json_decref(j);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sockaddr_in sa;
	size_t len = 0, sent = 0, got = 0;
	struct linger lg = { 1, 0 };
	char *req, *ans = NULL;
	int fd;

	if ((req = expand(data, size, &len)) == NULL)
		return 0;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0)) < 0)
		fz_die("socket", errno);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 &&
	    errno != EINPROGRESS)
		fz_die("connect", errno);
	if ((ans = malloc(ANSWER_MAX)) == NULL)
		fz_die("malloc", ENOMEM);
	for (int idle = 0; idle < 10;) {
		struct pollfd p = { fd, POLLIN | (sent < len ? POLLOUT : 0), 0 };
		ssize_t r;

		gs_http_run(srv);
		if (poll(&p, 1, 1) <= 0) {
			idle += sent == len;
			continue;
		}
		if (sent < len && (p.revents & POLLOUT)) {
			r = send(fd, req + sent, len - sent, MSG_NOSIGNAL);
			if (r > 0)
				sent += (size_t)r;
			else if (r < 0 && errno != EAGAIN)
				break;
		}
		if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
			r = recv(fd, ans + got, ANSWER_MAX - got, 0);
			if (r == 0 || (r < 0 && errno != EAGAIN))
				break;
			if (r > 0) {
				got += (size_t)r;
				idle = 0;
			}
			FZ_ASSERT(got < ANSWER_MAX);
			if (answered(ans, got))
				break;
		}
	}
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(fd);
	gs_http_run(srv);   /* sees the reset, drops the connection */
	check(ans, got);
	free(ans);
	free(req);
	return 0;
}
