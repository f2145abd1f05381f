#!/usr/bin/env bash
# Installs the Debian packages trustline's tests and benchmarks talk to (real peers, libsrtp, compilers).
# Run as root (CI does); elsewhere through sudo. Safe to run again.
set -euo pipefail
PACKAGES=(
  gcc make python3 pkg-config openssl   # native SRTP core (node-gyp) and the libsrtp harness
  libsrtp2-dev                          # libsrtp: SRTP cross-checks and the benchmark reference
  tftp-hpa                              # stock TFTP client "tftp": config download interop (test/tftp)
  curl                                  # TFTP with blksize, HTTP 6970 and HTTPS 6971/6972 downloads (test/tftp)
  testssl.sh sslscan                    # scanners the cipher-fallback prober is checked against (test/probe)
  kamailio kamailio-tls-modules         # SIP TLS registrar with one certificate per port (test/probe; reference of bench:sip-register)
  tshark                                # independent reader of our RTP/SRTP captures (test/media)
  chromium                              # headless rendering of the HTML scenario report (test/scenarios)
  libxml2-utils                         # xmllint: the JUnit scenario report is well-formed XML (test/scenarios)
  baresip-core                          # SIP/TLS + SDES-SRTP peer, all four suites, called through the B2BUA (test/calls)
)
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
missing=()
for p in "${PACKAGES[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-peers: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "install-peers: all ${#PACKAGES[@]} packages present"
fi
