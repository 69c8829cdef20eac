#!/usr/bin/env bash
# Copy the front-end files the report pages use from npm packages into the reports app's static folder.
# No build step: every file is a published dist file (package.json pins the versions, package-lock.json the tree).
# Usage: bash scripts/vendor-static.sh   (called by `make env`; needs npm and the npm registry)
set -euo pipefail
cd "$(dirname "$0")/.."
DEST=src/holdtrack/reports/static/vendor
if ! command -v npm >/dev/null 2>&1; then
  if [ -f "$DEST/vega/vega-embed.min.js" ] && [ -f "$DEST/us-atlas/counties-10m.json" ]; then
    echo "vendor-static: npm not found; keeping the files already in $DEST" >&2
  else
    echo "vendor-static: npm not found and $DEST is empty: report charts will show their tables only" >&2
  fi
  exit 0
fi
if [ ! -d node_modules/vega ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --ignore-scripts >&2
fi
mkdir -p "$DEST/vega" "$DEST/us-atlas"
cp node_modules/vega/build/vega.min.js "$DEST/vega/vega.min.js"
cp node_modules/vega-lite/build/vega-lite.min.js "$DEST/vega/vega-lite.min.js"
cp node_modules/vega-embed/build/vega-embed.min.js "$DEST/vega/vega-embed.min.js"
cp node_modules/us-atlas/counties-10m.json "$DEST/us-atlas/counties-10m.json"
for pkg in vega vega-lite vega-embed us-atlas; do
  cp "node_modules/$pkg/LICENSE" "$DEST/$pkg-LICENSE.txt" 2>/dev/null || true
done
{
  echo "Vendored by scripts/vendor-static.sh from npm (versions in package-lock.json):"
  for pkg in vega vega-lite vega-embed us-atlas; do
    printf '%s %s\n' "$pkg" "$(node -p "require('./node_modules/$pkg/package.json').version")"
  done
} > "$DEST/VERSIONS.txt"
echo "vendored into $DEST:" >&2
ls -R "$DEST" >&2
