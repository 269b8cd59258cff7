#!/bin/sh
# Writes a release's notes: docs/release-notes.md with {{VERSION}} replaced
# by VERSION and {{CHANGES}} by that version's section of CHANGELOG.md
# ("## [VERSION]" up to the next "## ["); a snapshot version (one with a
# "-snapshot" suffix) takes the "Unreleased" section.
#
#   tools/release/notes.sh VERSION OUT
#
# Exits 1, naming the version, when CHANGELOG.md has no such section or it
# is empty: a release says what changed.
set -eu
cd "$(dirname "$0")/../.."
version=${1:?usage: tools/release/notes.sh VERSION OUT}
out=${2:?usage: tools/release/notes.sh VERSION OUT}
section=$version
case $version in
*-snapshot) section=Unreleased ;;
esac

changes=$(awk -v want="$section" '
  /^## \[/ {
    name = $0; sub(/^## \[/, "", name); sub(/\].*$/, "", name)
    inside = (name == want); next
  }
  inside { print }
' CHANGELOG.md | sed -e '/./,$!d')
if [ -z "$(printf '%s' "$changes" | tr -d '[:space:]')" ]; then
  echo "release notes: CHANGELOG.md has no entries under \"## [$section]\" for version $version" >&2
  exit 1
fi

mkdir -p "$(dirname "$out")"
printf '%s\n' "$changes" >"$out.changes"
awk -v version="$version" -v changes="$out.changes" '
  /^<!--/, /-->$/ { next }
  $0 == "{{CHANGES}}" { while ((getline line < changes) > 0) print line; next }
  { gsub(/\{\{VERSION\}\}/, version); print }
' docs/release-notes.md >"$out"
rm -f "$out.changes"
echo "release notes: $out (CHANGELOG.md's [$section])"
