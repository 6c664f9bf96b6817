#!/usr/bin/env python3
"""A local stand-in for CMS DBS and Rucio (which cannot be reached from here), speaking
their wire formats over HTTPS with client certificates, for tests/build_datasets_das.rs.

    python3 cms_services.py DIR WORLD.json

Makes a CA, a server certificate (127.0.0.1) and a client certificate (the "X509 proxy":
certificate + key in one PEM, as voms-proxy-init writes it) in DIR with openssl, starts
the server on a free port with the client certificate required, and prints
`port=N` when it listens. WORLD.json says what the services know:

    {"datasets": {"/A/B/NANOAODSIM": {
        "files": [{"lfn": "/store/...root", "events": 10, "size": 100, "valid": 1}],
        "replicas": {"/store/...root": [{"rse": "T2_XX_Test", "state": "AVAILABLE",
                                         "type": "DISK", "volatile": false}]},
        "blocks": [{"name": "/A/B/NANOAODSIM#1", "site": "T2_XX_Test", "files": ["/store/..."]}],
        "dbs_error": null}}}

Endpoints (the real services' paths and answers):
- GET  /dbs/<instance>/DBSReader/files?dataset=D&detail=True  (or block_name=B): a JSON
  list of {logical_file_name, event_count, file_size, is_file_valid, block_name, adler32}; an
  unknown dataset gives [] as DBS does; "dbs_error" makes it answer HTTP 500 with DBS's
  JSON error body;
- GET  /dbs/<instance>/DBSReader/blocks?dataset=D&detail=True: [{block_name, origin_site_name}];
- GET  /auth/x509_proxy with X-Rucio-Account: the token in X-Rucio-Auth-Token (account
  "nobody": HTTP 401 CannotAuthenticate, with Rucio's ExceptionClass/ExceptionMessage);
- POST /replicas/list {"dids": [{"scope": "cms", "name": D}], ...} with the token:
  application/x-json-stream, one JSON object per file: {scope, name, bytes, rses, states, pfns}.
"""
import http.server
import json
import os
import ssl
import subprocess
import sys
import urllib.parse

TOKEN = "cortado-test-token"


def make_certs(d):
    def run(*args):
        subprocess.run(["openssl", *args], check=True, capture_output=True)
    ca_key, ca = os.path.join(d, "ca.key"), os.path.join(d, "ca.pem")
    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", ca_key, "-out", ca, "-days", "2",
        "-subj", "/CN=cortado test CA", "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    for name, ext in [("server", "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth"),
                      ("client", "extendedKeyUsage=clientAuth")]:
        key, csr, crt = (os.path.join(d, f"{name}.{e}") for e in ("key", "csr", "pem"))
        extfile = os.path.join(d, f"{name}.ext")
        with open(extfile, "w") as f:
            f.write(ext + "\nbasicConstraints=CA:FALSE\n")
        run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", csr,
            "-subj", f"/CN=cortado test {name}")
        run("x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key, "-CAcreateserial",
            "-out", crt, "-days", "2", "-extfile", extfile)
    # the "proxy": certificate and key in one file
    with open(os.path.join(d, "proxy.pem"), "w") as f:
        f.write(open(os.path.join(d, "client.pem")).read() + open(os.path.join(d, "client.key")).read())
    os.chmod(os.path.join(d, "proxy.pem"), 0o600)


class Handler(http.server.BaseHTTPRequestHandler):
    world = {}

    def log_message(self, *args):
        pass

    def answer(self, code, body, ctype="application/json", headers=()):
        data = body.encode() if isinstance(body, str) else body
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        url = urllib.parse.urlparse(self.path)
        q = {k: v[0] for k, v in urllib.parse.parse_qs(url.query).items()}
        parts = url.path.strip("/").split("/")
        datasets = self.world["datasets"]
        if url.path == "/auth/x509_proxy":
            account = self.headers.get("X-Rucio-Account")
            if account in (None, "nobody"):
                msg = "Cannot authenticate with given credentials"
                return self.answer(401, json.dumps({"ExceptionClass": "CannotAuthenticate",
                                                    "ExceptionMessage": msg}),
                                   headers=[("ExceptionClass", "CannotAuthenticate"),
                                            ("ExceptionMessage", msg)])
            return self.answer(200, "", headers=[("X-Rucio-Auth-Token", TOKEN)])
        if len(parts) >= 4 and parts[0] == "dbs" and parts[-2] == "DBSReader":
            what = parts[-1]
            if "dataset" in q:
                ds = datasets.get(q["dataset"])
            else:
                block = q.get("block_name", "")
                ds = next((d for d in datasets.values()
                           if any(b["name"] == block for b in d.get("blocks", []))), None)
            if ds and ds.get("dbs_error"):
                err = [{"error": {"reason": ds["dbs_error"], "message": ds["dbs_error"],
                                  "function": "dbs.files.ListFiles", "code": 110},
                        "http": {"method": "GET", "code": 500}, "exception": 500,
                        "type": "HTTPError", "message": ds["dbs_error"]}]
                return self.answer(500, json.dumps(err))
            if ds is None:
                return self.answer(200, "[]")
            if what == "files":
                files = ds["files"]
                if "block_name" in q:
                    block = next(b for b in ds["blocks"] if b["name"] == q["block_name"])
                    files = [f for f in files if f["lfn"] in block["files"]]
                return self.answer(200, json.dumps([
                    {"logical_file_name": f["lfn"], "event_count": f["events"], "file_size": f["size"],
                     "is_file_valid": f.get("valid", 1), "block_name": "x",
                     "adler32": f.get("adler32", "NOTSET")} for f in files]))
            if what == "blocks":
                return self.answer(200, json.dumps([
                    {"block_name": b["name"], "origin_site_name": b["site"]} for b in ds.get("blocks", [])]))
        self.answer(404, json.dumps({"message": f"no such endpoint {url.path}"}))

    def do_POST(self):
        length = int(self.headers.get("Content-Length", 0))
        body = json.loads(self.rfile.read(length) or b"{}")
        if self.path != "/replicas/list":
            return self.answer(404, "{}")
        if self.headers.get("X-Rucio-Auth-Token") != TOKEN:
            return self.answer(401, json.dumps({"ExceptionClass": "CannotAuthenticate",
                                                "ExceptionMessage": "no valid token"}))
        if body.get("sort") not in (None, "geoip", "custom_table", "random"):
            return self.answer(400, json.dumps({"ExceptionClass": "InvalidObject",
                                                "ExceptionMessage": f"unknown sort {body['sort']}"}))
        lines = []
        for did in body.get("dids", []):
            ds = self.world["datasets"].get(did["name"])
            if ds is None:
                msg = f"Data identifier '{did['scope']}:{did['name']}' not found"
                return self.answer(404, json.dumps({"ExceptionClass": "DataIdentifierNotFound",
                                                    "ExceptionMessage": msg}),
                                   headers=[("ExceptionClass", "DataIdentifierNotFound"),
                                            ("ExceptionMessage", msg)])
            for f in ds["files"]:
                reps = ds.get("replicas", {}).get(f["lfn"], [])
                pfns, rses, states = {}, {}, {}
                for i, r in enumerate(reps):
                    # names that sort against Rucio's order: the order is the priority
                    pfn = f"root://{chr(ord('z') - i)}-{r['rse'].lower()}.example//{f['lfn']}"
                    pfns[pfn] = {"rse": r["rse"], "type": r.get("type", "DISK"),
                                 "volatile": r.get("volatile", False), "domain": "wan",
                                 "priority": i + 1, "client_extract": False}
                    rses[r["rse"]] = [pfn]
                    states[r["rse"]] = r.get("state", "AVAILABLE")
                lines.append(json.dumps({"scope": "cms", "name": f["lfn"], "bytes": f["size"],
                                         "adler32": "00000000", "rses": rses, "states": states,
                                         "pfns": pfns}))
        self.answer(200, "\n".join(lines) + "\n", ctype="application/x-json-stream")


def main():
    d, world = sys.argv[1], sys.argv[2]
    make_certs(d)
    Handler.world = json.load(open(world))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(os.path.join(d, "server.pem"), os.path.join(d, "server.key"))
    ctx.load_verify_locations(os.path.join(d, "ca.pem"))
    ctx.verify_mode = ssl.CERT_REQUIRED
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    print(f"port={server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
