#!/usr/bin/env bash
# Jupyter for gt: the GoNB kernel and goimports built from this tools module
# (pinned in tools/jupyter/go.mod), Debian's Jupyter packages, and the kernel
# registration. Every step is idempotent and, once the Go modules are in the
# module cache and the packages installed, works offline.
#
#   setup.sh tools              build bin/gonb and bin/goimports
#   setup.sh packages [full]    install Debian's packages for headless execution
#                               (full: also the notebook server) when missing
#   setup.sh kernel DATA_DIR [gonb flags…]
#                               register the "gonb" kernel in DATA_DIR (a Jupyter
#                               data directory; "default": the user's, usually
#                               ~/.local/share/jupyter) with --go_work=<repo>
#   setup.sh chromium           install Debian's chromium when missing
#
# Exit status 3 means "cannot install packages here" (not root, or no apt-get);
# the exact command to run is printed.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=$ROOT/bin
GO=${GO:-go}

# Packages: what `jupyter nbconvert --execute` needs, and the notebook server.
EXEC_PKGS="jupyter-nbconvert python3-nbclient python3-jupyter-client"
FULL_PKGS="jupyter-notebook $EXEC_PKGS"

have_exec() {
	[ -x /usr/bin/jupyter-nbconvert ] &&
		/usr/bin/python3 -c 'import nbclient, jupyter_client, nbconvert' 2>/dev/null
}

have_full() {
	have_exec && [ -x /usr/bin/jupyter-notebook ]
}

apt_install() {
	local pkgs=$1
	if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
		echo "Jupyter is missing. Install Debian's packages with:" >&2
		echo "  sudo apt-get update && sudo apt-get install -y --no-install-recommends $pkgs" >&2
		exit 3
	fi
	echo "installing Debian packages: $pkgs"
	export DEBIAN_FRONTEND=noninteractive
	# An install from stale or empty package lists fails: update first.
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends $pkgs >/dev/null
}

case "${1:-}" in
tools)
	# Rebuild when missing or older than the pinned versions.
	if [ -x "$BIN/gonb" ] && [ -x "$BIN/goimports" ] &&
		[ "$BIN/gonb" -nt "$ROOT/tools/jupyter/go.mod" ] && [ "$BIN/goimports" -nt "$ROOT/tools/jupyter/go.mod" ]; then
		exit 0
	fi
	echo "building GoNB and goimports (tools/jupyter/go.mod) into bin/"
	mkdir -p "$BIN"
	(cd "$ROOT/tools/jupyter" && GOWORK=off "$GO" build -o "$BIN/" tool)
	;;
packages)
	if [ "${2:-}" = full ]; then
		have_full || apt_install "$FULL_PKGS"
	else
		have_exec || apt_install "$EXEC_PKGS"
	fi
	;;
kernel)
	data=${2:?usage: setup.sh kernel DATA_DIR [flags]}
	shift 2
	if [ "$data" = default ]; then
		unset JUPYTER_DATA_DIR
		"$BIN/gonb" --install --force_deps --go_work="$ROOT" "$@"
		exit 0
	fi
	mkdir -p "$data"
	# --force_deps: gopls (completion in the editor) is optional.
	JUPYTER_DATA_DIR=$data "$BIN/gonb" --install --force_deps --go_work="$ROOT" "$@" >/dev/null 2>&1 ||
		JUPYTER_DATA_DIR=$data "$BIN/gonb" --install --force_deps --go_work="$ROOT" "$@"
	;;
chromium)
	if ! command -v chromium >/dev/null; then
		if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
			echo "chromium is missing: sudo apt-get install -y chromium" >&2
			exit 3
		fi
		export DEBIAN_FRONTEND=noninteractive
		apt-get update -qq
		apt-get install -y -qq --no-install-recommends chromium fonts-noto-cjk >/dev/null
	fi
	;;
*)
	sed -n '2,18p' "$0" >&2
	exit 2
	;;
esac
