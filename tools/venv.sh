# Shared by run.sh and test.sh: create .venv with Python >= 3.12 and install flexisim into it.
# Reinstalls only when pyproject.toml changed, or when the test tools are asked for the first time.

find_python() {
    for candidate in python3.12 python3 python; do
        if command -v "$candidate" >/dev/null 2>&1 &&
           "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then
            echo "$candidate"; return 0
        fi
    done
    echo "flexisim needs Python 3.12 or newer (none found on PATH)" >&2
    return 1
}

# ensure_venv EXTRAS   ("" for the library alone, "dev" for the test tools too)
# The stamp's first line is "HASH EXTRAS" of the install; a line "warm" records that the
# simulation kernels were compiled once (python -m flexisim.warmup) after it.
ensure_venv() {
    local extras="$1" python hash status stamp=.venv/.flexisim-installed
    if [ ! -x .venv/bin/python ]; then
        python=$(find_python)
        echo "Creating .venv with $($python --version)..." >&2
        "$python" -m venv .venv
    fi
    hash=$(sha256sum pyproject.toml | cut -c1-16)
    # up to date: same pyproject, and the dev extras already there if they are wanted
    if ! { [ -f "$stamp" ] && grep -q "^$hash" "$stamp" &&
           { [ -z "$extras" ] || grep -q " $extras\$" "$stamp"; }; }; then
        echo "Installing flexisim${extras:+[$extras]} into .venv (first run only, a minute or" \
             "more; pip's progress follows)..." >&2
        .venv/bin/python -m pip install --quiet --upgrade pip >&2
        # pip's own lines (Collecting, Downloading, Installing, Successfully installed), less
        # the ones for what is already there; setuptools-scm: the live version of the
        # checkout (flexisim.provenance.package_version)
        .venv/bin/python -m pip install --progress-bar on -e ".${extras:+[$extras]}" \
            "setuptools-scm>=8" 2>&1 |
            { grep --line-buffered -v -e '^Requirement already satisfied' \
                   -e '^  Using cached' -e '^Obtaining file:' || true; } >&2
        status=${PIPESTATUS[0]}
        [ "$status" -eq 0 ] || return "$status"
        echo "$hash ${extras:-base}" > "$stamp"
    fi
    # once per install: compile the kernels (it prints a line when they are not cached yet);
    # a failure is not fatal here (the run that follows reports it)
    if ! grep -qx "warm" "$stamp"; then
        if .venv/bin/python -m flexisim.warmup >&2; then
            echo "warm" >> "$stamp"
        else
            echo "The kernels' warm-up failed (python -m flexisim.warmup); going on" >&2
        fi
    fi
}
