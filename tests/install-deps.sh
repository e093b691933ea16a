#!/bin/sh
# Installs what the test suite needs when it is missing: cmocka (unit and
# integration tests) and redis-tools/redis-server (compatibility tests compare
# respd's replies with a real Redis). Uses apt-get, as root or through sudo.
set -e

need=""
[ -f /usr/include/cmocka.h ] || need="$need libcmocka-dev"
command -v redis-cli >/dev/null 2>&1 || need="$need redis-tools"
command -v redis-server >/dev/null 2>&1 || need="$need redis-server"
command -v cc >/dev/null 2>&1 || need="$need build-essential"
[ -z "$need" ] && exit 0

echo "install-deps: installing$need"
if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $need
# The Debian package starts a system redis-server on 6379; the tests start
# their own on free ports and need no system service.
if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
    $SUDO systemctl disable --now redis-server >/dev/null 2>&1 || true
fi
