#!/bin/sh
# Installs what the test suite needs when it is missing: cmocka (unit and
# integration tests), redis-tools/redis-server (compatibility tests compare
# respd's replies with a real Redis), clang with libFuzzer (make fuzz) and
# valgrind (make valgrind).
# Uses apt-get, as root or through sudo.
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

# The fuzz targets (make fuzz, make fuzz-smoke) need libFuzzer and clang's
# sanitizer runtimes. Debian's clang only recommends the package holding them
# (libclang-rt-<version>-dev), so an install without recommends has clang but
# cannot link a fuzzer: checked by linking one, installed only when it fails.
fuzzer_links() {
    dir=$(mktemp -d) || return 1
    printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n)\n{ (void)d; (void)n; return 0; }\n' >"$dir/f.c"
    rc=0
    clang -fsanitize=fuzzer,address,undefined -o "$dir/f" "$dir/f.c" >/dev/null 2>&1 || rc=1
    rm -rf "$dir"
    return $rc
}

install_fuzz_runtime() {
    command -v clang >/dev/null 2>&1 || return 0
    fuzzer_links && return 0
    pkg="libclang-rt-$(clang -dumpversion | cut -d. -f1)-dev"
    echo "install-deps: installing $pkg (libFuzzer and sanitizer runtimes for clang)"
    if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
    export DEBIAN_FRONTEND=noninteractive
    [ -n "$apt_updated" ] || $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq --no-install-recommends "$pkg"
}

need=""
apt_updated=""
[ -f /usr/include/cmocka.h ] || need="$need libcmocka-dev"
command -v redis-cli >/dev/null 2>&1 || need="$need redis-tools"
command -v redis-server >/dev/null 2>&1 || need="$need redis-server"
command -v cc >/dev/null 2>&1 || need="$need build-essential"
command -v clang >/dev/null 2>&1 || need="$need clang"
command -v valgrind >/dev/null 2>&1 || need="$need valgrind"
if [ -z "$need" ]; then
    install_fuzz_runtime
    install_node_clients
    exit 0
fi

echo "install-deps: installing$need"
if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
apt_updated=1
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $need
# The Debian package starts a system redis-server on 6379; the tests start
# their own on free ports and need no system service.
if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
    $SUDO systemctl disable --now redis-server >/dev/null 2>&1 || true
fi
install_fuzz_runtime
install_node_clients
