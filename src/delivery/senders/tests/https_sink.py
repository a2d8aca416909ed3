"""An HTTPS receiver for the http sender's TLS tests, on 127.0.0.1.

Usage: https_sink.py DIR. Makes a certificate authority and a certificate for localhost /
127.0.0.1 with trustme, writes the CA to DIR/ca.pem, prints "READY <port>", and answers
every POST with 200 "ok".
"""
import http.server
import os
import ssl
import sys

import trustme

ca = trustme.CA()
cert = ca.issue_cert("localhost", "127.0.0.1")
ca.cert_pem.write_to_path(os.path.join(sys.argv[1], "ca.pem"))
context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
cert.configure_cert(context)


class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("content-length", 0)))
        self.send_response(200)
        self.send_header("content-length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.socket = context.wrap_socket(server.socket, server_side=True)
print("READY", server.server_address[1], flush=True)
server.serve_forever()
