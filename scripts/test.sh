#!/usr/bin/env bash
# Runs the whole test suite: installs what the tests need (on Debian, as root
# or with sudo), checks formatting, vet and staticcheck, runs the unit and
# integration tests with the race detector, the decoder fuzz targets' seed
# corpora, and the end-to-end suite against the real binary with net-snmp's
# snmptrap and snmpinform, snmptrapd (in a network namespace of its own),
# the real Prometheus and Alertmanager, and headless Chromium on the /traps
# page. The end-to-end tests start and stop the exporter and those servers
# themselves; all traffic stays on 127.0.0.0/8.
set -euo pipefail
cd "$(dirname "$0")/.."

need_pkgs=()
command -v snmptrap >/dev/null 2>&1 || need_pkgs+=(snmp)
command -v snmpinform >/dev/null 2>&1 || need_pkgs+=(snmp)
command -v snmptrapd >/dev/null 2>&1 || need_pkgs+=(snmptrapd)
command -v promtool >/dev/null 2>&1 || need_pkgs+=(prometheus)
command -v prometheus-alertmanager >/dev/null 2>&1 || need_pkgs+=(prometheus-alertmanager)
command -v setcap >/dev/null 2>&1 || need_pkgs+=(libcap2-bin)
command -v chromium >/dev/null 2>&1 || need_pkgs+=(chromium)
command -v systemd-analyze >/dev/null 2>&1 || need_pkgs+=(systemd)
if [ ${#need_pkgs[@]} -gt 0 ]; then
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || { echo "test.sh: need ${need_pkgs[*]} (Debian packages) and neither root nor sudo" >&2; exit 1; }
    sudo="sudo"
  fi
  echo "test.sh: installing ${need_pkgs[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}" >/dev/null
fi

# The third-party captures live beside the repository (../shared/fixtures).
# Tests that read them skip without SNMPTRAP_FIXTURES and fail if it names a
# folder without the files; CI always has them.
if [ -z "${SNMPTRAP_FIXTURES:-}" ]; then
  if [ -d ../shared/fixtures ]; then
    export SNMPTRAP_FIXTURES="$PWD/../shared/fixtures"
  elif [ "${CI:-}" = "true" ]; then
    echo "test.sh: CI without ../shared/fixtures" >&2
    exit 1
  else
    echo "test.sh: ../shared/fixtures not found; fixture tests will be skipped"
  fi
fi

echo "== gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then
  echo "gofmt would change:" $unformatted >&2
  exit 1
fi
echo "== go vet"
go vet ./...
# staticcheck at a pinned version: go run fetches it through the module
# proxy (checked against the checksum database) without touching go.mod.
echo "== staticcheck"
go run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...

echo "== unit and integration tests (race detector)"
go test -race -count=1 ./...
go test -count=1 -run 'TestVendor' ./mib/internal/vendorgen/ # skipped under -race: slow

# The Helm chart's tests are a Go module of their own (deploy/helm/test), so
# that the Kubernetes API modules stay out of the exporter's go.mod; they run
# Helm through the module proxy.
echo "== Helm chart (deploy/helm/test)"
(cd deploy/helm/test && go vet ./... && go run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./... && go test -count=1 ./...)

echo "== end-to-end tests (real binary, net-snmp clients)"
SNMPTRAP_E2E=1 go test -count=1 -v ./e2e/
