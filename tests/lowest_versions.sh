#!/usr/bin/env bash
# Honest lower bounds (issue 16, item 5): runs the non-browser test suite against the LOWEST versions that
# pyproject.toml allows for our direct dependencies, so a ">=" in pyproject.toml is a promise that was tested.
#
#   bash tests/lowest_versions.sh [extra pytest arguments]
#
# What it does:
#   1. a fresh virtual environment (default ${TMPDIR:-/tmp}/jupyter_qcred-lowest-venv, outside the work tree; set
#      LOWEST_VENV to put it elsewhere), and uv, installed with pip into a throwaway venv beside it ($VENV-uv);
#   2. `uv pip compile --resolution lowest-direct` + `uv pip sync`: every direct dependency (`[project]
#      dependencies`, the extras lab, hub, demo and test, and `[build-system] requires`) at the lowest version its
#      bound allows, everything else (transitive dependencies) at the newest version that fits, like a user would
#      get today; the exactly pinned tools (ruff, mypy) stay pinned;
#   3. jupyter_qcred itself as an editable install of this work tree, so `import jupyter_qcred` is this tree's source.
#      It is built with the lowest build backend, without build isolation (only for it: other sdists build as
#      usual). When the JupyterLab extension is already built (jupyter_qcred/labextension/static/style.js exists)
#      the npm build hook is skipped (HATCH_BUILD_NO_HOOKS=true): this suite does not test the TypeScript side,
#      and rebuilding would rewrite jupyter_qcred/labextension under everyone's feet. Set LOWEST_BUILD_EXTENSION=1
#      to build it anyway (npm through the lowest hatch-jupyter-builder);
#   4. pytest with the repository's own configuration, without the browser tests (tests/browser/test_panel.py,
#      tests/hub/test_hub.py whose one test drives Chromium through the hub's login, and any other test that asks for
#      the `browser` or `page` fixture) and without the slow `binder` and `fresh_install` tests, which build their
#      own environments at the newest versions;
#   5. a summary: each direct dependency's bound and the version installed, then pytest's result line.
#
# Exits non-zero when the environment cannot be built (2) or any test fails (pytest's exit status). Everything it
# wrote is in $VENV.logs/ (LOWEST_LOG_DIR): direct.in, lowest.txt (the resolution, with "# via"), freeze.txt,
# pytest.txt.
#
# To try raised bounds before editing pyproject.toml, put them in a constraints file and run
#   UV_CONSTRAINT=/path/to/raised.txt bash tests/lowest_versions.sh
# (lines such as "httpx>=0.27.1"; the lowest version allowed by both is installed).
#
# Indexes: uv is given the same indexes, find-links, certificate bundle and constraints as pip, read at run time
# from pip's own configuration (`pip config get`, PIP_* variables), and, like pip, considers all indexes together
# (UV_INDEX_STRATEGY=unsafe-best-match) so that a partial local mirror cannot hide an older release. UV_* variables
# already set in the environment win.
set -uo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
VENV="${LOWEST_VENV:-${TMPDIR:-/tmp}/jupyter_qcred-lowest-venv}"
PYTHON="${PYTHON:-python3}"
LOG_DIR="${LOWEST_LOG_DIR:-$VENV.logs}"

say() { printf '\n=== %s\n' "$*"; }
die() { printf '\nlowest_versions: %s\n' "$*" >&2; exit 2; }

# --- pip's configuration, handed to uv -------------------------------------------------------------------------
pip_setting() {  # pip_setting KEY -> the value pip would use for KEY (environment first, then its config files)
    local key="$1" var value
    var="PIP_$(printf '%s' "$key" | tr '[:lower:]-' '[:upper:]_')"
    if [ -n "${!var:-}" ]; then printf '%s' "${!var}"; return; fi
    for section in install global; do
        if value="$("$PYTHON" -m pip config get "$section.$key" 2>/dev/null)" && [ -n "$value" ]; then
            printf '%s' "$value"; return
        fi
    done
}
index_url="$(pip_setting index-url)"
extra_index_urls="$(pip_setting extra-index-url)"
find_links="$(pip_setting find-links)"
cert="$(pip_setting cert)"
constraints="$(pip_setting constraint)"
[ -n "$index_url" ] && export UV_DEFAULT_INDEX="${UV_DEFAULT_INDEX:-$index_url}"
[ -n "$extra_index_urls" ] && export UV_EXTRA_INDEX_URL="${UV_EXTRA_INDEX_URL:-$(echo $extra_index_urls)}"
[ -n "$find_links" ] && export UV_FIND_LINKS="${UV_FIND_LINKS:-$(echo $find_links | tr ' ' ',')}"
[ -n "$cert" ] && export SSL_CERT_FILE="${SSL_CERT_FILE:-$cert}"
[ -n "$constraints" ] && export UV_CONSTRAINT="${UV_CONSTRAINT:-$(echo $constraints)}"
export UV_INDEX_STRATEGY="${UV_INDEX_STRATEGY:-unsafe-best-match}"

# --- 1. a fresh environment, and uv in a throwaway one beside it --------------------------------------------------
say "fresh venv in $VENV"
mkdir -p "$LOG_DIR"
rm -f "$LOG_DIR"/{build-constraints.txt,direct.in,lowest.txt,freeze.txt,pytest.txt}
# While it backtracks, uv may build the metadata of old sdists in the tree (e.g. ibm-platform-services 0.55.x, via
# qiskit-ibm-runtime) whose setup.py imports pkg_resources, which setuptools 81 dropped: build them with an older one.
printf 'setuptools<81\n' >"$LOG_DIR/build-constraints.txt"
export UV_BUILD_CONSTRAINT="${UV_BUILD_CONSTRAINT:-$LOG_DIR/build-constraints.txt}"
"$PYTHON" -m venv --clear "$VENV-uv" && "$VENV-uv/bin/python" -m pip install --quiet uv \
    || die "cannot install uv into $VENV-uv"
"$PYTHON" -m venv --clear --without-pip "$VENV" || die "cannot create the venv $VENV"
PY="$VENV/bin/python"
UV=("$VENV-uv/bin/uv" pip)
export UV_PYTHON="$PY" VIRTUAL_ENV="$VENV"
"$VENV-uv/bin/uv" --version

# The direct dependencies, read from pyproject.toml: "name|requirement" lines (self-references such as
# jupyter_qcred[demo] left out: their extras are listed anyway).
DIRECT="$("$PY" - "$ROOT/pyproject.toml" <<'EOF'
import re, sys, tomllib
data = tomllib.load(open(sys.argv[1], "rb"))
name = data["project"]["name"]
reqs = list(data["project"].get("dependencies", []))
for extra in ("lab", "hub", "demo", "test"):
    reqs += data["project"]["optional-dependencies"].get(extra, [])
reqs += data["build-system"]["requires"]
seen = set()
for req in reqs:
    dist = re.split(r"[\s\[<>=!~;]", req, maxsplit=1)[0]
    norm = re.sub(r"[-_.]+", "-", dist).lower()
    if norm == re.sub(r"[-_.]+", "-", name).lower() or (norm, req) in seen:
        continue
    seen.add((norm, req))
    print(f"{norm}|{req}")
EOF
)" || die "cannot read $ROOT/pyproject.toml"
printf '%s\n' "$DIRECT" | cut -d'|' -f2- >"$LOG_DIR/direct.in"

# --- 2. lowest direct dependencies: resolve them all at once, install exactly that --------------------------------
# (One resolution of everything, rather than installing the build backend first: uv keeps an installed version
# that satisfies a requirement, so a transitive pick of the backend, e.g. traitlets, would hide a lower bound.)
say "resolving the direct dependencies at their lowest allowed versions (uv --resolution lowest-direct)"
"${UV[@]}" compile --quiet --resolution lowest-direct --python "$PY" "$LOG_DIR/direct.in" -o "$LOG_DIR/lowest.txt" \
    || die "no resolution with the lowest direct versions of $LOG_DIR/direct.in"
"${UV[@]}" sync "$LOG_DIR/lowest.txt" || die "cannot install $LOG_DIR/lowest.txt"
# What hatchling asks for an editable build (get_requires_for_build_editable): not ours to bound, so the newest.
"${UV[@]}" install editables || die "cannot install editables"

# --- 3. this tree, editable, with the lowest build backend --------------------------------------------------------
say "jupyter_qcred (editable, no build isolation, no dependencies: they are all in already)"
if [ "${LOWEST_BUILD_EXTENSION:-0}" != "1" ] && [ -f "$ROOT/jupyter_qcred/labextension/static/style.js" ] \
    && [ -f "$ROOT/jupyter_qcred/labextension/package.json" ]; then
    echo "(the JupyterLab extension is already built in jupyter_qcred/labextension: not rebuilding it)"
    export HATCH_BUILD_NO_HOOKS=true
fi
"${UV[@]}" install --no-deps --no-build-isolation --reinstall-package jupyter_qcred -e "$ROOT" \
    || die "cannot build jupyter_qcred with the lowest build backend"
# jupyter_qcred[test] as declared must be satisfied by exactly what is installed: a dry run changes nothing.
changes="$("${UV[@]}" install --dry-run --resolution lowest-direct --no-build-isolation -e "$ROOT[test]" 2>&1)" \
    || die "uv cannot install jupyter_qcred[test] here: $changes"
unset HATCH_BUILD_NO_HOOKS
if grep -E '^ [-+] ' <<<"$changes" | grep -v -i -E '^ [-+] jupyter-qcred[ =@]'; then
    die "installing jupyter_qcred[test] would change the environment (above): $LOG_DIR/direct.in resolves otherwise"
fi

where="$(cd / && "$PY" -c 'import jupyter_qcred, os; print(os.path.dirname(os.path.abspath(jupyter_qcred.__file__)))')"
[ "$where" = "$ROOT/jupyter_qcred" ] || die "import jupyter_qcred resolves to $where, not $ROOT/jupyter_qcred"
echo "import jupyter_qcred -> $where"
"${UV[@]}" check || die "the environment is inconsistent"
"${UV[@]}" freeze >"$LOG_DIR/freeze.txt"

# --- 4. the non-browser suite -----------------------------------------------------------------------------------
say "pytest (no browser, no binder, no fresh_install)"
cd "$ROOT" || die "cannot cd to $ROOT"
# Hypothesis keeps failing examples in .hypothesis/ of the work tree, shared with runs at the newest versions whose
# Hypothesis may store them differently: this run gets its own, fresh database.
rm -rf "$LOG_DIR/hypothesis"
export HYPOTHESIS_STORAGE_DIRECTORY="$LOG_DIR/hypothesis"
# Tests elsewhere that drive Chromium (they ask for the `browser` or `page` fixture, e.g. in
# tests/browser/test_sentences.py) are deselected by this small plugin; the rest of their module runs.
mkdir -p "$LOG_DIR/plugins"
cat >"$LOG_DIR/plugins/lowest_no_browser.py" <<'EOF'
BROWSER_FIXTURES = {"browser", "page"}


def pytest_collection_modifyitems(config, items):
    browser = [item for item in items if BROWSER_FIXTURES & set(getattr(item, "fixturenames", ()))]
    if browser:
        config.hook.pytest_deselected(items=browser)
        items[:] = [item for item in items if item not in browser]
EOF
PYTHONPATH="$LOG_DIR/plugins${PYTHONPATH:+:$PYTHONPATH}" PATH="$VENV/bin:$PATH" \
    "$PY" -m pytest -p no:cacheprovider -p lowest_no_browser tests \
    --ignore=tests/browser/test_panel.py --ignore=tests/hub/test_hub.py \
    -m "not binder and not fresh_install" "$@" 2>&1 | tee "$LOG_DIR/pytest.txt"
status=${PIPESTATUS[0]}

# --- 5. summary -------------------------------------------------------------------------------------------------
say "summary: direct dependencies (bound in pyproject.toml -> installed)"
DIRECT="$DIRECT" "$PY" - "$LOG_DIR/freeze.txt" <<'EOF'
import os, re, sys
from packaging.requirements import Requirement
from packaging.version import Version
installed = {}
for line in open(sys.argv[1]):
    if "==" in line:
        name, version = line.strip().split("==", 1)
        installed[re.sub(r"[-_.]+", "-", name).lower()] = (name, version)
above = False
for entry in os.environ["DIRECT"].splitlines():
    norm, req = entry.split("|", 1)
    name, version = installed.get(norm, (norm, "NOT INSTALLED"))
    floors = [Version(spec.version) for spec in Requirement(req).specifier if spec.operator in (">=", "==", "~=")]
    mark = ""
    if version != "NOT INSTALLED" and floors and Version(version) != max(floors):
        mark, above = "  *", True
    print(f"  {req:<32} {name}=={version}{mark}")
if above:
    print("  * above the bound: that version was never released or is yanked, or another requirement needs more")
    print("    (the '# via' lines of lowest.txt tell who asks for the package)")
EOF
echo "(all installed: $LOG_DIR/freeze.txt; resolution: $LOG_DIR/lowest.txt; pytest output: $LOG_DIR/pytest.txt)"
result="$(grep -E '^=+ .* in [0-9.]+s( \([0-9:]+\))? =+$' "$LOG_DIR/pytest.txt" | tail -1)"
say "pytest result: ${result:-no result line (pytest exit $status)}"
if [ "$status" -ne 0 ]; then
    echo "lowest_versions: FAILED (pytest exit $status): a lower bound in pyproject.toml is dishonest or a test failed."
    exit "$status"
fi
echo "lowest_versions: OK, the lower bounds hold."
