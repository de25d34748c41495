#!/usr/bin/env python3
"""A minimal FastCGI responder for the deploy checks (stdlib only).

It stands in for the EZ-API worker pool behind the production nginx site so the site can be
exercised without PostgreSQL or Redis. Every request is answered 200 with a JSON body that
echoes what nginx sent: the FastCGI params, whether nginx asked to keep the connection
(FCGI_KEEP_CONN), and the body length. Paths under /status/NNN answer with status NNN;
FCGI_STUB_STATUS=NNN in the environment makes every answer NNN.

Usage: fcgi_stub.py SOCKET_PATH   (runs until SIGTERM/SIGINT)
"""
import json
import os
import signal
import socket
import socketserver
import struct
import sys

FCGI_BEGIN_REQUEST = 1
FCGI_END_REQUEST = 3
FCGI_PARAMS = 4
FCGI_STDIN = 5
FCGI_STDOUT = 6
FCGI_KEEP_CONN = 1
HEADER = struct.Struct("!BBHHBx")


def read_exact(conn, n):
    buf = b""
    while len(buf) < n:
        chunk = conn.recv(n - len(buf))
        if not chunk:
            raise EOFError
        buf += chunk
    return buf


def read_record(conn):
    version, rtype, req_id, length, padding = HEADER.unpack(read_exact(conn, HEADER.size))
    content = read_exact(conn, length) if length else b""
    if padding:
        read_exact(conn, padding)
    return rtype, req_id, content


def decode_params(data):
    params = {}
    i = 0

    def length():
        nonlocal i
        if data[i] >> 7:
            (n,) = struct.unpack("!I", data[i:i + 4])
            i += 4
            return n & 0x7FFFFFFF
        n = data[i]
        i += 1
        return n

    while i < len(data):
        nlen = length()
        vlen = length()
        name = data[i:i + nlen].decode("latin-1")
        i += nlen
        params[name] = data[i:i + vlen].decode("latin-1")
        i += vlen
    return params


def record(rtype, req_id, content):
    out = b""
    # Split into chunks of at most 65535 bytes, as the protocol requires.
    for off in range(0, max(len(content), 1), 65535):
        chunk = content[off:off + 65535]
        out += HEADER.pack(1, rtype, req_id, len(chunk), 0) + chunk
        if not content:
            break
    return out


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        conn = self.request
        try:
            flags = 0
            req_id = 1
            params_raw = b""
            body = b""
            while True:
                rtype, req_id, content = read_record(conn)
                if rtype == FCGI_BEGIN_REQUEST:
                    _role, flags = struct.unpack("!HB5x", content)
                elif rtype == FCGI_PARAMS:
                    params_raw += content
                elif rtype == FCGI_STDIN:
                    if not content:
                        break
                    body += content
        except EOFError:
            return
        params = decode_params(params_raw)
        path = params.get("DOCUMENT_URI", "")
        status = int(os.environ.get("FCGI_STUB_STATUS", "200"))
        if path.startswith("/status/"):
            status = int(path[len("/status/"):] or 200)
        payload = json.dumps({
            "params": params,
            "keep_conn": bool(flags & FCGI_KEEP_CONN),
            "body_len": len(body),
        }).encode()
        headers = (f"Status: {status}\r\nContent-Type: application/json\r\n"
                   f"X-Request-ID: from-worker\r\n\r\n").encode()
        conn.sendall(record(FCGI_STDOUT, req_id, headers + payload) +
                     record(FCGI_STDOUT, req_id, b"") +
                     record(FCGI_END_REQUEST, req_id, struct.pack("!IB3x", 0, 0)))


class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


def main():
    path = sys.argv[1]
    if os.path.exists(path):
        os.unlink(path)
    server = Server(path, Handler)
    # nginx's workers run as another user in some checks.
    os.chmod(path, 0o666)

    def stop(*_):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass


if __name__ == "__main__":
    main()
