#!/usr/bin/env bash
# Renders executed notebooks to HTML (jupyter nbconvert --to html) and takes a
# full-page screenshot of each with headless Chromium, so a person can see
# what a reader of the notebook sees (make notebooks-html).
#
#   screenshots.sh DIR    (DIR holds the executed notebooks: NAME.ipynb →
#                          NAME.html and NAME.png beside it)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
DIR=${1:?usage: screenshots.sh DIR}
"$ROOT/tools/jupyter/setup.sh" chromium
CHROMIUM=$(command -v chromium || command -v chromium-browser)
WIDTH=${SCREENSHOT_WIDTH:-1100}
HEIGHT=${SCREENSHOT_HEIGHT:-10000}

for nb in "$DIR"/*.ipynb; do
	name=$(basename "$nb" .ipynb)
	/usr/bin/jupyter nbconvert --to html --output-dir "$DIR" "$nb" >"$DIR/$name.html.log" 2>&1 ||
		{ cat "$DIR/$name.html.log" >&2; exit 1; }
	# A fresh profile each time; no network, no GPU, no sandbox (root in CI).
	profile=$(mktemp -d)
	"$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-background-networking \
		--hide-scrollbars --user-data-dir="$profile" --window-size="$WIDTH,$HEIGHT" \
		--screenshot="$DIR/$name.png" "file://$(cd "$DIR" && pwd)/$name.html" >"$DIR/$name.png.log" 2>&1 ||
		{ cat "$DIR/$name.png.log" >&2; rm -rf "$profile"; exit 1; }
	rm -rf "$profile"
	[ -s "$DIR/$name.png" ] || { echo "no screenshot for $name" >&2; exit 1; }
	echo "$DIR/$name.html  $DIR/$name.png"
done
