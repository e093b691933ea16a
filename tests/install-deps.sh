#!/bin/sh
# Installs what the test suite needs when it is missing: cmocka (unit and
# integration tests) and redis-tools/redis-server (compatibility tests compare
# respd's replies with a real Redis). Uses apt-get, as root or through sudo.
set -e

# Client libraries for tests/integration/test_clients.c, from the npm
# registry; optional: that test is skipped when they cannot be installed.
install_node_clients() {
    if command -v npm >/dev/null 2>&1 && [ ! -d tests/clients/node_modules/ioredis ]; then
        echo "install-deps: installing node client libraries into tests/clients"
        (cd tests/clients && npm install --no-audit --no-fund --silent >/dev/null 2>&1) ||
            echo "install-deps: npm install failed; test_clients will be skipped"
    fi
}

need=""
[ -f /usr/include/cmocka.h ] || need="$need libcmocka-dev"
command -v redis-cli >/dev/null 2>&1 || need="$need redis-tools"
command -v redis-server >/dev/null 2>&1 || need="$need redis-server"
command -v cc >/dev/null 2>&1 || need="$need build-essential"
if [ -z "$need" ]; then
    install_node_clients
    exit 0
fi

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
install_node_clients
