#!/usr/bin/env bash
# The gt kernel under Jupyter (make kernel-test, part of make test): builds
# bin/gtrepl, registers the "gt" kernel in a private Jupyter data directory
# (bin/jupyter, so the user's own Jupyter configuration is not touched), runs
# Jupyter's conformance tests against it (jupyter_kernel_test:
# kernel/testdata/test_gt_kernel.py) and executes every tutorial notebook
# with it, checking the outputs with tools/nbcheck exactly as
# run-notebooks.sh does for GoNB.
#
#   gt-kernel.sh OUT_DIR [NOTEBOOK…]   (default: every notebooks/*.ipynb)
#
# Installs Debian's packages when missing (as root); without them and no way
# to install them, it skips with a message, except under CI=true, where it
# fails.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT=${1:?usage: gt-kernel.sh OUT_DIR [NOTEBOOK…]}
shift
GO=${GO:-go}
SETUP=$ROOT/tools/jupyter/setup.sh

skip() {
	if [ "${CI:-}" = true ]; then
		echo "kernel-test: $1 (CI=true: failing)" >&2
		exit 1
	fi
	echo "kernel-test: SKIPPED ($1)" >&2
	exit 0
}

status=0
"$SETUP" packages || status=$?
if [ "$status" = 3 ]; then
	skip "Jupyter is missing; see the command above"
elif [ "$status" != 0 ]; then
	exit "$status"
fi
if ! /usr/bin/python3 -c 'import jupyter_kernel_test' 2>/dev/null; then
	if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
		echo "jupyter_kernel_test is missing. Install Debian's package with:" >&2
		echo "  sudo apt-get update && sudo apt-get install -y --no-install-recommends python3-jupyter-kernel-test" >&2
		skip "jupyter_kernel_test is missing"
	fi
	echo "installing Debian package: python3-jupyter-kernel-test"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends python3-jupyter-kernel-test >/dev/null
fi

mkdir -p "$ROOT/bin"
(cd "$ROOT" && "$GO" build -o bin/gtrepl ./cmd/gtrepl)
export JUPYTER_DATA_DIR=$ROOT/bin/jupyter
export JUPYTER_RUNTIME_DIR=$JUPYTER_DATA_DIR/runtime
"$ROOT/bin/gtrepl" jupyter install -data-dir "$JUPYTER_DATA_DIR" >/dev/null

start=$(date +%s)
(cd "$ROOT/kernel/testdata" && /usr/bin/python3 -m unittest test_gt_kernel 2>&1) ||
	{ echo "kernel-test: jupyter_kernel_test failed against the gt kernel" >&2; exit 1; }
echo "jupyter_kernel_test passed against the gt kernel in $(($(date +%s) - start)) s"

if [ $# -eq 0 ]; then
	set -- "$ROOT"/notebooks/*.ipynb
fi
mkdir -p "$OUT"
failed=0
for nb in "$@"; do
	name=$(basename "$nb" .ipynb)
	start=$(date +%s)
	if ! /usr/bin/jupyter nbconvert --to notebook --execute --allow-errors \
		--ExecutePreprocessor.timeout=600 --ExecutePreprocessor.kernel_name=gt \
		--output-dir "$OUT" "$nb" >"$OUT/$name.log" 2>&1; then
		echo "kernel-test: nbconvert failed on $nb:" >&2
		tail -40 "$OUT/$name.log" >&2
		failed=1
		continue
	fi
	echo "executed $name.ipynb with the gt kernel in $(($(date +%s) - start)) s"
done
[ "$failed" = 0 ] || exit 1
(cd "$ROOT" && "$GO" run ./tools/nbcheck -spec notebooks/testdata/expect.json "$OUT")
