#!/usr/bin/env bash
# Regenerates the net-snmp captures in this directory (see README.md): one
# SNMPv3 SNMPv2-Trap from net-snmp's snmptrap for every authentication
# protocol and every privacy protocol it offers, sent to a UDP socket on
# 127.0.0.1 that saves the datagram as <auth>-<priv>.bin. Nothing on the
# machine is read: no MIBs (-M /dev/null -m ''), no snmp.conf and no
# persistent state (SNMPCONFPATH and SNMP_PERSISTENT_DIR name a fresh
# temporary directory). Needs net-snmp's snmptrap and Go.
#
# The bytes differ on every run (random salts and the message ID), so only
# run this to replace the captures on purpose; the tests read whatever is
# here.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"

engine=0x80001f8880aabbccdd
user=usmuser
authpass=authpass123
privpass=privpass123
boots_time=7,12345   # -Z: msgAuthoritativeEngineBoots and Time in the trap

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
export SNMP_PERSISTENT_DIR="$tmp/persist" SNMPCONFPATH="$tmp/conf"
mkdir -p "$SNMP_PERSISTENT_DIR" "$SNMPCONFPATH"

(cd "$root" && go build -o "$tmp/capture" ./usm/testdata/netsnmp/capture)

snmptrap -V 2>&1 | head -1 >"$tmp/version"

# name on disk  -a spelling
auths=("md5 MD5" "sha SHA" "sha224 SHA-224" "sha256 SHA-256" "sha384 SHA-384" "sha512 SHA-512")
# name on disk  -x spelling ("-" for authNoPriv)
privs=("none -" "des DES" "aes AES" "aes192 AES-192" "aes256 AES-256" "aes192c AES-192-C" "aes256c AES-256-C")

for a in "${auths[@]}"; do
  set -- $a; aname=$1 aflag=$2
  for p in "${privs[@]}"; do
    set -- $p; pname=$1 pflag=$2
    out="$here/$aname-$pname.bin"
    if [ "$pflag" = "-" ]; then
      sec=(-l authNoPriv -a "$aflag" -A "$authpass")
    else
      sec=(-l authPriv -a "$aflag" -A "$authpass" -x "$pflag" -X "$privpass")
    fi
    coproc CAP { "$tmp/capture" "$out"; }
    cap_pid=$CAP_PID
    read -r port <&"${CAP[0]}"
    if ! snmptrap -M /dev/null -m '' -v3 -e "$engine" -E "$engine" -u "$user" "${sec[@]}" -Z "$boots_time" \
        "udp:127.0.0.1:$port" 0 1.3.6.1.6.3.1.1.5.1 1.3.6.1.2.1.1.5.0 s usm-test-trap \
        2>"$tmp/err"; then
      echo "REFUSED $aname-$pname: $(grep -v -e 'Created directory' -e 'Running as user' "$tmp/err")"
      kill "$cap_pid" 2>/dev/null || true
      wait "$cap_pid" 2>/dev/null || true
      rm -f "$out"
      continue
    fi
    wait "$cap_pid"
    echo "$aname-$pname.bin $(wc -c <"$out") bytes"
  done
done
echo "made with: $(cat "$tmp/version")"
