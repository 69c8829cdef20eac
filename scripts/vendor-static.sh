#!/usr/bin/env bash
# Copy the front-end files the pages use from npm packages into the apps' static folders.
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
if [ ! -d node_modules/vega ] || [ ! -d node_modules/@uswds/uswds ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
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
echo "vendored into $DEST" >&2

# Desks: USWDS 3 (CSS, JS, and only the fonts and images its stylesheet refers to), htmx 2, and axe-core for the
# accessibility tests. The stylesheet's own relative ../fonts and ../img URLs keep working under this tree.
DESKS=src/holdtrack/desks/static/vendor
U=node_modules/@uswds/uswds/dist
mkdir -p "$DESKS/uswds/css" "$DESKS/uswds/js" "$DESKS/htmx" "$DESKS/axe"
cp "$U/css/uswds.min.css" "$DESKS/uswds/css/"
cp "$U/js/uswds.min.js" "$U/js/uswds-init.min.js" "$DESKS/uswds/js/"
node -e '
const fs = require("fs"), path = require("path");
const css = fs.readFileSync(process.argv[1] + "/css/uswds.min.css", "utf8");
const refs = new Set([...css.matchAll(/url\(["\x27]?\.\.\/([^)"\x27]+)["\x27]?\)/g)].map(m => m[1]));
refs.add("img/sprite.svg");
for (const r of refs) {
  const src = path.join(process.argv[1], r), dst = path.join(process.argv[2], r);
  if (!fs.existsSync(src)) continue;
  fs.mkdirSync(path.dirname(dst), { recursive: true });
  fs.copyFileSync(src, dst);
}' "$U" "$DESKS/uswds"
cp node_modules/@uswds/uswds/LICENSE.md "$DESKS/uswds-LICENSE.md" 2>/dev/null || true
cp node_modules/htmx.org/dist/htmx.min.js "$DESKS/htmx/htmx.min.js"
cp node_modules/htmx.org/LICENSE "$DESKS/htmx-LICENSE.txt" 2>/dev/null || true
cp node_modules/axe-core/axe.min.js "$DESKS/axe/axe.min.js"
cp node_modules/axe-core/LICENSE "$DESKS/axe-LICENSE.txt" 2>/dev/null || true
{
  echo "Vendored by scripts/vendor-static.sh from npm (versions in package-lock.json):"
  for pkg in @uswds/uswds htmx.org axe-core; do
    printf '%s %s\n' "$pkg" "$(node -p "require('./node_modules/$pkg/package.json').version")"
  done
} > "$DESKS/VERSIONS.txt"
echo "vendored into $DESKS" >&2
