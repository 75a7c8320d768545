"""The ``census`` command line: sub-commands grouped by what officials and operators do."""

from scanner.cli.app import app, main

__all__ = ["app", "main"]
