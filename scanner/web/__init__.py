"""The officials' web app (``census serve``): server-rendered Chinese pages and a JSON API over
the same database and the same stored scorecards as the CLI.

Every data query is scoped by one dependency (``deps.scope``) to the organisations the user may
see; the app only reads scorecards and writes review decisions, 抽查 draws and 问责 records
through the functions the CLI uses.
"""

from scanner.web.app import create_app

__all__ = ["create_app"]
