"""Stand-in: only its version string is read (environment info in lm-eval's results)."""
__version__ = "not installed (lm-eval reference run)"
