/* bench/hello: the smallest FastCGI responder, the baseline the gateway is measured against. */
#include <signal.h>
#include <string.h>
#include <fcgiapp.h>

int
main(void)
{
	static const char body[] = "{\"status\":\"OK\"}";
	FCGX_Request r;

	signal(SIGPIPE, SIG_IGN);
	if (FCGX_Init() != 0 || FCGX_InitRequest(&r, 0, 0) != 0)
		return 1;
	while (FCGX_Accept_r(&r) >= 0) {
		FCGX_FPrintF(r.out, "Status: 200 OK\r\nContent-Type: application/json\r\n"
		    "Content-Length: %d\r\n\r\n", (int)strlen(body));
		FCGX_PutStr(body, (int)strlen(body), r.out);
		FCGX_Finish_r(&r);
	}
	return 0;
}
