#!/usr/bin/env bash
# Fetches Redis 7.0.15's own test suite (tests/ of Debian's `redis` source package) into a cache directory
# and prints the directory holding tests/test_helper.tcl. Never writes into git: the default cache,
# .cache/redis-src, is git-ignored.
#
# Usage: scripts/redis-suite/fetch-suite.sh [CACHE_DIR]
#
# apt-get runs with private state (its own source list, package lists and download cache under CACHE_DIR),
# so the machine's apt configuration is never changed: the deb-src list is Debian's own
# /etc/apt/sources.list.d/debian.sources with `Types: deb-src`. The upstream tarball and Debian's patches
# are unpacked with tar and patch (no dpkg-dev needed). A second run reuses the unpacked tree.
# Exit codes: 0 done; 1 the download or unpacking failed (the reason on stderr).
set -euo pipefail

UPSTREAM_VERSION=7.0.15
root=$(cd "$(dirname "$0")/../.." && pwd)
cache=${1:-"$root/.cache/redis-src"}
tree="$cache/redis-$UPSTREAM_VERSION"

if [ -f "$tree/tests/test_helper.tcl" ]; then
  echo "$tree"
  exit 0
fi

fail() {
  echo "fetch-suite: $*" >&2
  exit 1
}

mkdir -p "$cache/apt/parts" "$cache/apt/lists/partial" "$cache/apt/cache/archives/partial" "$cache/download"
sources=/etc/apt/sources.list.d/debian.sources
[ -f "$sources" ] || fail "no $sources (a Debian system is needed to fetch the source package)"
sed -e 's/^Types:.*$/Types: deb-src/' "$sources" >"$cache/apt/parts/debian-src.sources"
apt_opts=(
  -o "Dir::Etc::SourceList=/dev/null"
  -o "Dir::Etc::SourceParts=$cache/apt/parts"
  -o "Dir::State::Lists=$cache/apt/lists"
  -o "Dir::Cache=$cache/apt/cache"
  -o "APT::Sandbox::User=root"
)
apt-get "${apt_opts[@]}" update -qq >&2 || fail "apt-get update (deb-src) failed"
(cd "$cache/download" && apt-get "${apt_opts[@]}" source --download-only -qq redis >&2) ||
  fail "apt-get source --download-only redis failed"

orig="$cache/download/redis_$UPSTREAM_VERSION.orig.tar.gz"
[ -f "$orig" ] || fail "Debian's redis source is not upstream $UPSTREAM_VERSION: $(ls "$cache/download")"
debian=$(ls "$cache/download"/redis_"$UPSTREAM_VERSION"-*.debian.tar.* 2>/dev/null | head -1)
[ -n "$debian" ] || fail "no Debian packaging tarball in $cache/download"

work="$tree.partial"
rm -rf "$work"
mkdir -p "$work"
tar -xzf "$orig" -C "$work" --strip-components=1
tar -xf "$debian" -C "$work"
if [ -f "$work/debian/patches/series" ]; then
  # Debian's patches (security fixes, some touching tests) in series order; `#` lines are comments.
  while read -r patch _; do
    case "$patch" in "" | \#*) continue ;; esac
    patch -s -p1 -d "$work" <"$work/debian/patches/$patch" || fail "patch $patch did not apply"
  done <"$work/debian/patches/series"
fi
mv "$work" "$tree"
echo "$tree"
