"""Dependencies run edge -> domain, never edge -> edge (STYLE.md, "Where code goes"): a module under `*/graphql/`
never imports from an `api` package, one under `*/api/` never imports from a `graphql` package, an edge imports its
own kind only from its own app and from `cms` (the shared base: `cms/api/`, `cms/graphql/`), never from another
app's (accounts' REST does not import the paywall's REST: what both send lives in `cms/api/`), and a domain module
(models, services, selectors, signals, tasks, presenters, caching, ...) imports no edge at all: neither `api` nor
`graphql`, nor the other edges (admin, feeds, sitemaps). What two edges share lives in the app's own modules
(`articles/presenters.py`, `articles/caching.py`, `cms/core/links.py`, `accounts/paywall.py`, ...).

Read with `ast` from the source files (nothing is imported), including imports inside functions."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APPS = ("articles", "accounts", "paywall", "cms", "comments")
EDGE_PACKAGES = ("api", "graphql", "ghost")  # cms/ghost/: the Ghost-compatible Content API
EDGE_MODULES = ("admin", "feeds", "sitemaps")  # edges that are single modules (admin*.py too)

# Wiring that composes the edges by design: URL confs, the root GraphQL schema, app configs registering
# drf-spectacular extensions.
WIRING = ("urls", "apps", "cms.schema")

# (importer, imported) pairs allowed, with the reason. Keep this empty but for a stated reason.
ALLOWED: dict[tuple[str, str], str] = {
    ("articles.graphql.types", "comments.graphql.types"): "the Article type's `comments` field is the comments "
    "app's own type and resolver: the GraphQL type graph links apps the way the models do",
}
SHARED_EDGE_APP = "cms"  # cms/api/ and cms/graphql/ hold what every app's edge of that kind builds on


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(source: str, *, module: str, is_package: bool = False) -> set[str]:
    """Absolute names of the modules (or packages) the source of `module` imports from."""
    package = module.split(".") if is_package else module.split(".")[:-1]
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            found.add(name)
            found.update(f"{name}.{alias.name}" for alias in node.names)  # `from articles import api`
    return found


def _edge_kind(module: str) -> str | None:
    """'api', 'graphql', 'admin', 'feeds', 'sitemaps' for an edge module of our apps, None for a domain module."""
    parts = module.split(".")
    if parts[0] not in APPS:
        return None
    for part in parts[1:]:
        if part in EDGE_PACKAGES:
            return part
    last = parts[-1]
    if last in EDGE_MODULES or last.startswith("admin"):
        return "admin" if last.startswith("admin") else last
    return None


def _is_wiring(module: str) -> bool:
    return module.split(".")[-1] in WIRING or module in WIRING


def _same_app_or_shared(importer: str, imported: str) -> bool:
    """An edge may import its own kind from its own app (`articles.api.views` -> `articles.api.serializers`) and from
    the shared base (`cms.api.serializers`), not from another app's edge (`accounts.api` -> `paywall.api`)."""
    app = imported.split(".")[0]
    return app in (importer.split(".")[0], SHARED_EDGE_APP)


def _app_modules():
    for app in APPS:
        folder = ROOT / app
        if not folder.is_dir():
            continue
        for path in sorted(folder.rglob("*.py")):
            if "migrations" in path.parts or "management" in path.parts:
                continue
            yield path


def _violations() -> list[str]:
    out = []
    for path in _app_modules():
        importer = _module_name(path)
        if _is_wiring(importer):
            continue
        mine = _edge_kind(importer)
        for imported in sorted(_imports(path.read_text(), module=importer, is_package=path.name == "__init__.py")):
            theirs = _edge_kind(imported)
            if theirs is None or (theirs == mine and _same_app_or_shared(importer, imported)):
                continue
            if any(imported == b or imported.startswith(b + ".") for a, b in ALLOWED if a == importer):
                continue
            if _is_wiring(imported):
                continue
            what = "domain module" if mine is None else f"{mine} edge"
            out.append(f"{importer} ({what}) imports {imported} ({theirs} edge{_of_app(imported, theirs == mine)})")
    return out


def _of_app(imported: str, same_kind: bool) -> str:
    return f" of another app: {imported.split('.')[0]}" if same_kind else ""


def test_edges_import_only_the_domain():
    assert _violations() == []


def test_the_rule_catches_each_kind_of_arrow():
    """The walker sees absolute, relative and function-local imports, and tells edges from the domain."""
    assert _edge_kind("articles.graphql.types") == "graphql"
    assert _edge_kind("cms.api.serializers") == "api"
    assert _edge_kind("articles.admin_comments") == "admin"
    assert _edge_kind("articles.feeds") == "feeds"
    assert _edge_kind("articles.presenters") is None and _edge_kind("django.contrib.admin") is None
    source = "from ..api import serializers\n\n\ndef f():\n    from cms.api.links import x\n"
    found = _imports(source, module="articles.graphql.sample")
    assert {"articles.api", "articles.api.serializers", "cms.api.links"} <= found


def test_an_edge_may_not_import_another_apps_edge_of_its_kind():
    """REST -> another app's REST is an edge -> edge arrow too; its own app's and cms' are the same edge."""
    assert not _same_app_or_shared("accounts.api.serializers", "paywall.api.serializers")
    assert not _same_app_or_shared("paywall.graphql.types", "accounts.graphql.types")
    assert _same_app_or_shared("accounts.api.views", "accounts.api.serializers")
    assert _same_app_or_shared("accounts.api.serializers", "cms.api.serializers")
