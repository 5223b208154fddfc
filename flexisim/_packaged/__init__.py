"""Copies of the repository's ``scenarios/`` and ``experiments/`` folders, put here when a
wheel is built (``setup.py``'s ``build_py``); empty in a source checkout, which reads the
folders themselves. Read through :mod:`flexisim.locations`, never directly."""
