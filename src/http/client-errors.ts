/**
 * Answers for requests Node's HTTP parser refuses before express sees them. Node writes a bare
 * status line; a URL and headers past its 16 kB limit get a problem+json `request.headers_too_large`
 * from the catalogue instead, so a client switches on a code here as everywhere else. Every other
 * parser error keeps Node's own answer.
 */
import type { Server } from "node:http";
import type { Duplex } from "node:stream";
import { PROBLEM_CONTENT_TYPE, problemOf } from "./problem";

/** Node's answers for the parser errors it names (node:_http_server), the others a 400. */
const NODE_ANSWERS: Readonly<Record<string, string>> = {
  HPE_CHUNK_EXTENSIONS_OVERFLOW: "HTTP/1.1 413 Payload Too Large\r\nConnection: close\r\n\r\n",
  ERR_HTTP_REQUEST_TIMEOUT: "HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n",
};
const BAD_REQUEST = "HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n";

/** The raw HTTP/1.1 response for a refused request line or headers. */
export function clientErrorResponse(err: NodeJS.ErrnoException): string {
  if (err.code === "HPE_HEADER_OVERFLOW") {
    const body = JSON.stringify(problemOf("request.headers_too_large", "the request line and headers may take 16 kB at most"));
    return (
      `HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Type: ${PROBLEM_CONTENT_TYPE}; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`
    );
  }
  return (err.code && NODE_ANSWERS[err.code]) ?? BAD_REQUEST;
}

/** Makes `server` answer parser errors as Node does, but a too-large header as a problem. */
export function answerClientErrors(server: Server): void {
  server.on("clientError", (err: NodeJS.ErrnoException, socket: Duplex) => {
    // As Node: write only while no response of this connection has begun.
    const inFlight = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (socket.writable && !inFlight?.headersSent) socket.end(clientErrorResponse(err));
    else socket.destroy();
  });
}
