#!/usr/bin/env bash
# Executes the tutorial notebooks headless with the GoNB kernel and checks
# their outputs (make notebooks-test). Installs what is missing first.
#
#   run-notebooks.sh OUT_DIR [NOTEBOOK…]   (default: every notebooks/*.ipynb)
#
# The executed notebooks, and each one's kernel log (NAME.log), are left in
# OUT_DIR. The kernel is registered in a private Jupyter data directory
# (bin/jupyter), so the user's own Jupyter configuration is not touched.
# Without Jupyter and no way to install it (not root), it skips with a
# message, except under CI=true, where it fails.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT=${1:?usage: run-notebooks.sh OUT_DIR [NOTEBOOK…]}
shift
GO=${GO:-go}
SETUP=$ROOT/tools/jupyter/setup.sh

"$SETUP" tools
status=0
"$SETUP" packages || status=$?
if [ "$status" = 3 ]; then
	if [ "${CI:-}" = true ]; then
		echo "notebooks-test: Jupyter is missing and cannot be installed (CI=true: failing)" >&2
		exit 1
	fi
	echo "notebooks-test: SKIPPED (Jupyter is missing; see the command above)" >&2
	exit 0
elif [ "$status" != 0 ]; then
	exit "$status"
fi
export JUPYTER_DATA_DIR=$ROOT/bin/jupyter
export JUPYTER_RUNTIME_DIR=$JUPYTER_DATA_DIR/runtime
"$SETUP" kernel "$JUPYTER_DATA_DIR" --raw_error

# The kernelspec has an empty environment: the kernel finds go and
# goimports on the PATH Jupyter runs with.
GOBIN_DIR=$(dirname "$(command -v "$GO")")
export PATH=$ROOT/bin:$GOBIN_DIR:$PATH

if [ $# -eq 0 ]; then
	set -- "$ROOT"/notebooks/*.ipynb
fi
mkdir -p "$OUT"
failed=0
for nb in "$@"; do
	name=$(basename "$nb" .ipynb)
	start=$(date +%s)
	# --allow-errors: a failing cell is reported by the checker, with its
	# message, rather than stopping nbconvert before it writes the notebook.
	if ! /usr/bin/jupyter nbconvert --to notebook --execute --allow-errors \
		--ExecutePreprocessor.timeout=600 --ExecutePreprocessor.kernel_name=gonb \
		--output-dir "$OUT" "$nb" >"$OUT/$name.log" 2>&1; then
		echo "notebooks-test: nbconvert failed on $nb:" >&2
		tail -40 "$OUT/$name.log" >&2
		failed=1
		continue
	fi
	echo "executed $name.ipynb in $(($(date +%s) - start)) s"
done
[ "$failed" = 0 ] || exit 1
(cd "$ROOT" && "$GO" run ./tools/nbcheck -spec notebooks/testdata/expect.json "$OUT")
