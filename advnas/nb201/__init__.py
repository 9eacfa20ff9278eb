"""The NAS-Bench-201 cell space (Dong and Yang 2020; the paper's App. D)."""
