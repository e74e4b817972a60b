# Sourced by scripts/install-deps.sh and scripts/python: where mipp's Python environment lives.
# Outside the checkout, so fresh clones and CI reuse it; MIPP_VENV overrides.
MIPP_VENV="${MIPP_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/mipp/venv}"
