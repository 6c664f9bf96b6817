#!/usr/bin/env bash
# A local XRootD data server (Debian xrootd-server 5.5) for the remote-reading tests:
# root:// on port $XRD_PORT (1094) and XrdHttp http:// on $XRD_HTTP_PORT (8080),
# exporting $XRD_BASE/data; and a redirector (manager on $XRD_MGR_PORT, 1095, with
# cmsd) in front of a second data server ($XRD_SRV_PORT, 1096) exporting the same
# folder, so that redirects are exercised; a spare data server ($XRD_SPARE_PORT, 1097)
# that a test stops and restarts; and a data server offering TLS for roots:// ($XRD_TLS_PORT,
# 1098, and XrdHttp over TLS for https:// on $XRD_HTTPS_PORT, 8443; a test CA in $XRD_BASE/tls/ca). Run as root: the daemons drop to user
# 'xrootd'. Prints the variables the tests read (CORTADO_TEST_XROOTD...), for
# `eval "$(.ci/xrootd_start.sh)"`. Running it again starts the daemons that are not
# running (tests stop and restart the plain server). .ci/xrootd_stop.sh stops them.
set -euo pipefail
XRD_BASE=${XRD_BASE:-/srv/cortado-xrd}
XRD_PORT=${XRD_PORT:-1094}
XRD_HTTP_PORT=${XRD_HTTP_PORT:-8080}
XRD_MGR_PORT=${XRD_MGR_PORT:-1095}
XRD_SRV_PORT=${XRD_SRV_PORT:-1096}
XRD_SPARE_PORT=${XRD_SPARE_PORT:-1097}
XRD_TLS_PORT=${XRD_TLS_PORT:-1098}
XRD_HTTPS_PORT=${XRD_HTTPS_PORT:-8443}
CMS_PORT=${CMS_PORT:-1213}

exports() {
  echo "export CORTADO_TEST_XROOTD=root://127.0.0.1:$XRD_PORT/$XRD_BASE/data"
  echo "export CORTADO_TEST_XROOTD_HTTP=http://127.0.0.1:$XRD_HTTP_PORT$XRD_BASE/data"
  echo "export CORTADO_TEST_XROOTD_REDIRECTOR=root://127.0.0.1:$XRD_MGR_PORT/$XRD_BASE/data"
  echo "export CORTADO_TEST_XROOTD_DIR=$XRD_BASE/data"
  echo "export CORTADO_TEST_XROOTD_SPARE=root://127.0.0.1:$XRD_SPARE_PORT/$XRD_BASE/data"
  echo "export CORTADO_TEST_XROOTD_TLS=roots://localhost:$XRD_TLS_PORT/$XRD_BASE/data"
  echo "export CORTADO_TEST_XROOTD_HTTPS=https://localhost:$XRD_HTTPS_PORT$XRD_BASE/data"
  echo "export CORTADO_TEST_XROOTD_CA=$XRD_BASE/tls/ca"
}
listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

if ! command -v xrootd >/dev/null || ! command -v cmsd >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq --no-install-recommends xrootd-server xrootd-client >/dev/null
fi
install -d -o xrootd -g xrootd "$XRD_BASE" "$XRD_BASE/data"
for inst in plain spare tls mgr srv; do
  install -d -o xrootd -g xrootd "$XRD_BASE/$inst" "$XRD_BASE/$inst/run" \
    "$XRD_BASE/$inst/admin" "$XRD_BASE/$inst/log"
done
# the plain data server, root:// and http://
cat > "$XRD_BASE/plain/xrootd.cfg" <<CFG
xrd.port $XRD_PORT
all.export $XRD_BASE/data
all.adminpath $XRD_BASE/plain/admin
all.pidpath $XRD_BASE/plain/run
xrd.protocol XrdHttp:$XRD_HTTP_PORT libXrdHttp.so
http.listingdeny false
CFG
# a data server that the tests stop and restart (no other test uses it)
cat > "$XRD_BASE/spare/xrootd.cfg" <<CFG
xrd.port $XRD_SPARE_PORT
all.export $XRD_BASE/data
all.adminpath $XRD_BASE/spare/admin
all.pidpath $XRD_BASE/spare/run
CFG
# a data server offering TLS (roots://): a test CA and a server certificate for localhost
T=$XRD_BASE/tls
if [ ! -f "$T/cert.pem" ]; then
  install -d -o xrootd -g xrootd "$T/ca"
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/ca.key" -out "$T/ca/ca.pem" -days 3650 \
    -subj "/CN=cortado test CA" -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -keyout "$T/key.pem" -out "$T/cert.csr" \
    -subj "/CN=localhost" 2>/dev/null
  printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' > "$T/cert.ext"
  openssl x509 -req -in "$T/cert.csr" -CA "$T/ca/ca.pem" -CAkey "$T/ca.key" -CAcreateserial \
    -out "$T/cert.pem" -days 3650 -extfile "$T/cert.ext" 2>/dev/null
  openssl rehash "$T/ca" 2>/dev/null || true
  chown -R xrootd:xrootd "$T"
  chmod 600 "$T/key.pem" "$T/ca.key"
fi
cat > "$T/xrootd.cfg" <<CFG
xrd.port $XRD_TLS_PORT
all.export $XRD_BASE/data
all.adminpath $T/admin
all.pidpath $T/run
xrd.tls $T/cert.pem $T/key.pem
xrd.tlsca certdir $T/ca
xrootd.tls capable all
xrd.protocol XrdHttp:$XRD_HTTPS_PORT libXrdHttp.so
CFG
# the redirector and the data server behind it (one configuration, by role)
cat > "$XRD_BASE/cluster.cfg" <<CFG
all.export $XRD_BASE/data
all.manager 127.0.0.1:$CMS_PORT
if named mgr
  all.role manager
  xrd.port $XRD_MGR_PORT
  all.adminpath $XRD_BASE/mgr/admin
  all.pidpath $XRD_BASE/mgr/run
else
  all.role server
  xrd.port $XRD_SRV_PORT
  all.adminpath $XRD_BASE/srv/admin
  all.pidpath $XRD_BASE/srv/run
fi
cms.delay startup 1
CFG
start() { # instance config daemon; a daemon still running is left as it is
  local pid="$XRD_BASE/$1/run/$3.pid"
  if [ -f "$pid" ] && kill -0 "$(cat "$pid")" 2>/dev/null; then
    return 0
  fi
  "$3" -b -R xrootd -n "$1" -c "$2" -l "$XRD_BASE/$1/log/$3.log" -s "$pid" >&2
}
start plain "$XRD_BASE/plain/xrootd.cfg" xrootd
start spare "$XRD_BASE/spare/xrootd.cfg" xrootd
start tls "$T/xrootd.cfg" xrootd
start mgr "$XRD_BASE/cluster.cfg" cmsd
start mgr "$XRD_BASE/cluster.cfg" xrootd
start srv "$XRD_BASE/cluster.cfg" cmsd
start srv "$XRD_BASE/cluster.cfg" xrootd
for port in "$XRD_PORT" "$XRD_HTTP_PORT" "$XRD_MGR_PORT" "$XRD_SRV_PORT" "$XRD_SPARE_PORT" "$XRD_TLS_PORT" "$XRD_HTTPS_PORT"; do
  for _ in $(seq 1 100); do
    listening "$port" && break
    sleep 0.1
  done
done
# the redirector answers "wait" until its data server has registered
for _ in $(seq 1 100); do
  grep -q "server.*logged in" "$XRD_BASE/mgr/log/mgr/cmsd.log" 2>/dev/null && break
  sleep 0.1
done
exports
