#!/usr/bin/env python3
"""A loopback HTTP server for gpuenv's download tests: it serves one folder with byte ranges and
injects faults chosen by a path prefix:
  /fail500-N/<path>   answers 500 to the first N requests for <path>, then serves it
  /fail404/<path>     always answers 404
  /norange/<path>     ignores Range: always the whole file with 200
  /garbage/<path>     serves the right length of wrong bytes
  /truncate-N/<path>  for the first N requests, closes the connection after half the body
  /stall/<path>       sends half the body, then nothing for 60 s
A folder is served as its index.html (a PEP 503 project page).
Usage: http_server.py FOLDER. Prints its port on the first line of stdout, then serves on
127.0.0.1 until killed. Requests are logged to stderr."""
import http.server, os, re, sys, threading, time, urllib.parse

root = os.path.abspath(sys.argv[1])
counts, lock = {}, threading.Lock()


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, fmt, *args):
        sys.stderr.write("%s %s\n" % (self.requestline, fmt % args))

    def do_GET(self):
        path = urllib.parse.unquote(self.path.split("?", 1)[0].split("#", 1)[0])
        fault, arg = None, 0
        m = re.match(r"^/(fail500|truncate)-(\d+)(/.*)$", path) or re.match(r"^/(fail404|norange|garbage|stall)(/.*)$", path)
        if m:
            fault = m.group(1)
            if fault in ("fail500", "truncate"):
                arg, path = int(m.group(2)), m.group(3)
            else:
                path = m.group(2)
        with lock:
            key = (fault, path)
            counts[key] = counts.get(key, 0) + 1
            nth = counts[key]
        if fault == "fail404":
            return self.send_error(404)
        if fault == "fail500" and nth <= arg:
            return self.send_error(500)
        full = os.path.realpath(os.path.join(root, path.lstrip("/")))
        if os.path.isdir(full):  # a package index's project page
            full = os.path.join(full, "index.html")
        if not full.startswith(root + os.sep) or not os.path.isfile(full):
            return self.send_error(404)
        f = open(full, "rb")
        size = os.fstat(f.fileno()).st_size
        start = 0
        rng = self.headers.get("Range")
        if rng and fault != "norange":
            m = re.match(r"bytes=(\d+)-$", rng)
            if not m or int(m.group(1)) > size:
                f.close()
                return self.send_error(416)
            start = int(m.group(1))
        self.send_response(206 if start else 200)
        if start:
            self.send_header("Content-Range", "bytes %d-%d/%d" % (start, size - 1, size))
        self.send_header("Content-Length", str(size - start))
        self.send_header("Accept-Ranges", "bytes")
        if full.endswith(".html"):
            self.send_header("Content-Type", "text/html")
        self.end_headers()
        with f:
            if fault is None or fault in ("norange", "fail500"):
                # what a real mirror does: the kernel copies the file to the socket
                self.wfile.flush()
                self.connection.sendfile(f, offset=start)
                return
            f.seek(start)
            body = f.read()
        if fault == "garbage":
            body = bytes((b + 1) % 256 for b in body)
        if fault == "truncate" and nth <= arg:
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        if fault == "stall":
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            time.sleep(60)
            return
        self.wfile.write(body)

server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
print(server.server_address[1], flush=True)
server.serve_forever()
