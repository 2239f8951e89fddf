"""Every route of the site and of the API, read from the URL resolver.

The route-walking permission tests (tests/test_route_permissions.py) and the route bench
(`manage.py bench_routes`, docs/performance.md, "Every list on the decade") walk the same
list, so a new route is in both without anyone remembering it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver


@dataclass(frozen=True)
class Route:
    name: str
    kwargs: tuple[str, ...]
    positional: int  # unnamed groups (a few admin routes of django-simple-history)
    is_api: bool
    is_admin: bool

    @property
    def label(self) -> str:
        return self.name or "(unnamed)"

    @property
    def has_parameters(self) -> bool:
        return bool(self.kwargs or self.positional)


def _walk(patterns: list, namespace: str = "", prefix: str = "") -> Iterator[Route]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = namespace
            if pattern.namespace:
                inner = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
            yield from _walk(pattern.url_patterns, inner, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            name = f"{namespace}:{pattern.name}" if namespace and pattern.name else pattern.name
            regex = pattern.pattern.regex
            kwargs = tuple(regex.groupindex)
            route = prefix + str(pattern.pattern)
            yield Route(
                name=name or "",
                kwargs=kwargs,
                positional=regex.groups - len(kwargs),
                is_api=route.startswith("api/"),
                is_admin=(namespace or "").startswith("admin"),
            )


def all_routes() -> list[Route]:
    """Every route once, in the resolver's order."""
    return list(dict.fromkeys(_walk(get_resolver().url_patterns)))
