"""The register of sites: organisations, sites and their columns, from YAML or xlsx files.

``read_form`` → ``schema.validate`` → ``store.write_registry``; ``importer.import_file`` runs the
three in one transaction. See docs/registry.md for the file forms and the re-import rules.
"""

from scanner.registry.importer import import_file, read_form
from scanner.registry.lookup import find_site
from scanner.registry.schema import Registry, validate
from scanner.registry.store import ImportSummary, list_sites

__all__ = [
    "ImportSummary",
    "Registry",
    "find_site",
    "import_file",
    "list_sites",
    "read_form",
    "validate",
]
