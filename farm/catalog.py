"""Host name → Site, for declared sites and for procedural ones built on demand.

Shared by the server and the truth so both see the same sites; procedural sites are rebuilt
from (seed, index) whenever they fall out of a small cache, which keeps a 10,000-site farm small.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from functools import lru_cache

from farm import generate
from farm.scenario import FarmSpec, SiteSpec
from farm.site import Site


class Catalog:
    def __init__(self, spec: FarmSpec, today: date) -> None:
        self.spec = spec
        self.today = today
        self._static = {s.host.lower(): Site(s, today) for s in spec.sites}
        self._closed = {h.lower() for h in spec.closed_hosts}
        self._generated = lru_cache(maxsize=1024)(self._build_generated)

    def _build_generated(self, host: str) -> Site | None:
        assert self.spec.generated is not None
        site_spec = generate.site_spec(self.spec.generated, host)
        return None if site_spec is None else Site(site_spec, self.today)

    def get(self, host: str) -> Site | None:
        host = host.lower()
        site = self._static.get(host)
        if site is None and self.spec.generated is not None:
            site = self._generated(host)
        return site

    def is_closed(self, host: str) -> bool:
        return host.lower() in self._closed

    def static_specs(self) -> list[SiteSpec]:
        return [s.spec for s in self._static.values()]

    def hosts(self) -> Iterator[str]:
        """Every host, generated ones included (10,000 names is cheap; their sites are not)."""
        yield from self._static
        if self.spec.generated is not None:
            yield from generate.hosts(self.spec.generated)
