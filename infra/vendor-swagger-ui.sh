#!/usr/bin/env bash
# vendor-swagger-ui.sh VERSION: copies the files /docs needs from the npm package swagger-ui-dist
# into functions/web/assets/swagger-ui-VERSION/ and prints their sizes and checksums for
# VENDORED.md. Not part of any build: the files are committed.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
version="${1:?usage: vendor-swagger-ui.sh VERSION}"
dest="$ROOT/functions/web/assets/swagger-ui-$version"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack -q "swagger-ui-dist@$version" >/dev/null && tar xzf ./*.tgz) || die "npm pack swagger-ui-dist@$version failed"
mkdir -p "$dest"
for file in swagger-ui-bundle.js swagger-ui-bundle.js.LICENSE.txt swagger-ui.css favicon-32x32.png LICENSE NOTICE; do
  cp "$tmp/package/$file" "$dest/"
done
(cd "$dest" && wc -c swagger-ui-bundle.js swagger-ui.css favicon-32x32.png && sha256sum swagger-ui-bundle.js swagger-ui.css favicon-32x32.png)
