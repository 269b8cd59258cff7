#!/bin/sh
# Installs errconform for the GitHub Action (action.yml) and the GitLab
# template (ci/errconform.gitlab-ci.yml, which embeds a copy of this file: a
# test keeps the two identical). POSIX sh; needs curl or wget, tar (unzip on
# Windows) and sha256sum, shasum or openssl.
#
#   ERRCONFORM_VERSION           the release to install, e.g. 0.1.0 (a leading v is fine)
#   ERRCONFORM_INSTALL           release (default): download
#                                  <base>/v<version>/errconform_<version>_<os>_<arch>.tar.gz
#                                  (.zip on Windows) and the release's checksums.txt, and
#                                  refuse unless the archive's SHA-256 is the one listed;
#                                source: go install github.com/errconform/errconform/cmd/errconform@v<version>
#                                  (needs Go; "latest" or a branch name work here too)
#   ERRCONFORM_RELEASE_BASE_URL  <base>, default https://github.com/errconform/errconform/releases/download
#                                (https, or http on 127.0.0.1/localhost for tests)
#   ERRCONFORM_INSTALL_DIR       where the binary goes, default $HOME/.local/bin
#
# Exits non-zero, with a message saying why, when anything does not check out.
set -eu

say() { printf 'errconform install: %s\n' "$*"; }
die() {
  printf 'errconform install: %s\n' "$*" >&2
  exit 1
}

version=${ERRCONFORM_VERSION:-}
version=${version#v}
method=${ERRCONFORM_INSTALL:-release}
base=${ERRCONFORM_RELEASE_BASE_URL:-https://github.com/errconform/errconform/releases/download}
base=${base%/}
dir=${ERRCONFORM_INSTALL_DIR:-${HOME:-.}/.local/bin}
module=github.com/errconform/errconform/cmd/errconform

[ -n "$version" ] || die "ERRCONFORM_VERSION is empty: name the errconform release to install, e.g. 0.1.0"
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)

case $method in
source)
  command -v go >/dev/null 2>&1 || die "ERRCONFORM_INSTALL=source needs Go on PATH"
  case $version in
  [0-9]*) ref=v$version ;;
  *) ref=$version ;;
  esac
  say "go install $module@$ref into $dir"
  # -modcacherw: a module cache kept inside a CI checkout can be cleaned up.
  GOBIN=$dir GOFLAGS="${GOFLAGS:+$GOFLAGS }-modcacherw" go install "$module@$ref"
  exe=errconform
  [ -f "$dir/$exe" ] || exe=errconform.exe
  out=$("$dir/$exe" version) || die "the installed $dir/$exe does not run"
  say "installed $out into $dir"
  exit 0
  ;;
release) ;;
*) die "ERRCONFORM_INSTALL is '$method': use release (the default) or source" ;;
esac

case $version in
*[!A-Za-z0-9.+_-]* | latest)
  die "ERRCONFORM_VERSION '$version' is not a release version (e.g. 0.1.0); ERRCONFORM_INSTALL=source accepts latest"
  ;;
esac
case $base in
*@*) die "ERRCONFORM_RELEASE_BASE_URL '$base' must not carry user information (an @)" ;;
https://*) ;;
http://127.0.0.1:* | http://127.0.0.1/* | http://localhost:* | http://localhost/* | http://\[::1\]:*) ;;
*) die "ERRCONFORM_RELEASE_BASE_URL '$base' must be an https URL: the checksum is only worth what the connection that brings it is" ;;
esac

case $(uname -s) in
Linux) os=linux ;;
Darwin) os=darwin ;;
MINGW* | MSYS* | CYGWIN* | Windows_NT) os=windows ;;
*) die "no errconform release for $(uname -s); set ERRCONFORM_INSTALL=source to build it with Go" ;;
esac
case $(uname -m) in
x86_64 | amd64) arch=amd64 ;;
aarch64 | arm64) arch=arm64 ;;
*) die "no errconform release for $(uname -m); set ERRCONFORM_INSTALL=source to build it with Go" ;;
esac
exe=errconform
ext=tar.gz
if [ "$os" = windows ]; then
  exe=errconform.exe
  ext=zip
fi
archive=errconform_${version}_${os}_${arch}.$ext
url=$base/v$version

fetch() {
  if command -v curl >/dev/null 2>&1; then
    curl -fsSL --retry 3 --retry-delay 2 --proto-redir =https -o "$2" "$1"
  elif command -v wget >/dev/null 2>&1; then
    case $1 in
    https://*) wget -q --https-only -O "$2" "$1" ;;
    *) wget -q -O "$2" "$1" ;;
    esac
  else
    die "neither curl nor wget is installed"
  fi
}

sha256() {
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum "$1"
  elif command -v shasum >/dev/null 2>&1; then
    shasum -a 256 "$1"
  elif command -v openssl >/dev/null 2>&1; then
    openssl dgst -sha256 -r "$1"
  fi
}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/errconform-install.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

say "downloading $url/$archive"
fetch "$url/$archive" "$tmp/$archive" || die "could not download $url/$archive"
fetch "$url/checksums.txt" "$tmp/checksums.txt" ||
  die "could not download $url/checksums.txt: refusing to install an archive whose checksum cannot be verified"

# checksums.txt is sha256sum's format: "<64 hex digits>  <file name>".
expected=$(tr -d '\r' <"$tmp/checksums.txt" | awk -v f="$archive" '$2 == f || $2 == "*" f { print tolower($1) }' | sort -u)
case $expected in
'') die "checksums.txt of release v$version has no entry for $archive: refusing to install it unverified" ;;
*[!0-9a-f]*)
  if [ "$(printf '%s\n' "$expected" | wc -l)" -gt 1 ]; then
    die "checksums.txt of release v$version lists different checksums for $archive: refusing to install it"
  fi
  die "checksums.txt of release v$version has no SHA-256 for $archive, but '$expected': refusing to install it"
  ;;
esac
[ ${#expected} -eq 64 ] || die "checksums.txt of release v$version has no SHA-256 for $archive, but '$expected': refusing to install it"
actual=$(sha256 "$tmp/$archive" | awk '{ print tolower($1) }')
[ -n "$actual" ] || die "cannot compute a SHA-256: install sha256sum (coreutils), shasum or openssl"
if [ "$actual" != "$expected" ]; then
  die "SHA-256 checksum mismatch for $archive: checksums.txt of release v$version says $expected, the download is $actual; refusing to install it"
fi
say "SHA-256 $actual matches checksums.txt"

mkdir "$tmp/x"
if [ "$ext" = zip ]; then
  unzip -q "$tmp/$archive" "$exe" -d "$tmp/x" || die "$archive has no $exe"
else
  tar -xzf "$tmp/$archive" -C "$tmp/x" "$exe" || die "$archive has no $exe"
fi
chmod 755 "$tmp/x/$exe"
out=$("$tmp/x/$exe" version) || die "the $exe in $archive does not run on this machine ($os/$arch)"
cp "$tmp/x/$exe" "$dir/$exe.new"
mv -f "$dir/$exe.new" "$dir/$exe"
say "installed $out into $dir"
