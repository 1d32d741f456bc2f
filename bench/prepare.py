"""Prepare benchmark inputs from the seeded database: readers, tokens and one TSV of requests per scenario.

    DJANGO_SETTINGS_MODULE=cms.settings.bench DATABASE_URL=... python -m bench.prepare --out bench/.work/w2

Each TSV line is one request (METHOD, PATH, headers "Name: value|...", body), replayed by bench/lua/requests.lua.
Fresh-reader scenarios get a new pool of signed reader tokens on every call (each token is used for at most the
daily allowance, on different articles, so every request is a counted read). Prints a JSON summary.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import sys
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cms.settings.bench")
django.setup()

from django.db import connection  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.utils import timezone  # noqa: E402
from rest_framework_simplejwt.tokens import AccessToken  # noqa: E402

from accounts.models import User  # noqa: E402
from articles.models import Article, Author, Section, Tag  # noqa: E402
from bench.ghost import ghost_scenarios  # noqa: E402
from comments.models import Comment  # noqa: E402
from paywall.models import Plan, Subscription  # noqa: E402
from paywall.readers import Reader, reader_token_issue  # noqa: E402
from paywall.selectors import meter_limits  # noqa: E402
from paywall.services import access_decide  # noqa: E402

SUBSCRIBER_EMAIL = "bench-subscriber@masthead.local"
GRAPHQL_LIST = (
    "query { articles(first: 20) { edges { node { id slug title dek publishedAt accessLevel "
    "section { slug name } authors { slug name } tags { slug name } } } pageInfo { hasNextPage endCursor } } }"
)
# One document with the slug as a variable, as GraphQL clients (Apollo, Relay, urql) send it: the server parses and
# validates a document once per process, then only executes it.
GRAPHQL_DETAIL = (
    "query Article($slug: String!) { article(slug: $slug) { id slug title publishedAt body bodyIsPreview "
    "access { granted reason readsLeft limit } section { slug name } authors { slug name } } }"
)


def _search_terms(n: int = 10) -> list[str]:
    """Queries that match a realistic share of the archive. The generated demo corpus has a small vocabulary (on
    PostgreSQL even its rarest word is in about 5 % of articles), so single words match far more than a reader's
    query would: use pairs of its rarest words (websearch syntax: both must match), keeping pairs that match."""
    from django.contrib.postgres.search import SearchQuery

    published = Article.objects.published()
    if connection.vendor != "postgresql":
        return ["news"]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT word FROM ts_stat('SELECT search_vector FROM articles_article WHERE id % 20 = 0') "
            "WHERE length(word) >= 4 ORDER BY ndoc ASC, word LIMIT 40"
        )
        rare = [row[0] for row in cursor.fetchall()]
    pairs = []
    for i, first in enumerate(rare):
        for second in rare[i + 1 : i + 4]:
            query = SearchQuery(f"{first} {second}", search_type="websearch", config="english")
            matches = published.filter(search_vector=query).count()
            if matches >= 20:
                pairs.append((matches, f"{first} {second}"))
        if len(pairs) >= 3 * n:
            break
    pairs.sort()
    return [q for _, q in pairs[:n]] or rare[:n] or ["news"]


def _suggest_inputs(rng: random.Random) -> list[str]:
    """What readers type into a search box: prefixes (3 to 8 letters) of the words of section, tag and author names
    and of recent titles, and each word with one typo (a letter dropped, or two swapped), shuffled."""
    names = [
        *Section.objects.values_list("name", flat=True),
        *Tag.objects.values_list("name", flat=True),
        *Author.objects.values_list("name", flat=True),
        *Article.objects.published().order_by("-published_at").values_list("title", flat=True)[:2000],
    ]
    words = sorted({w.lower() for name in names for w in re.findall(r"[A-Za-z]{4,}", name)})
    inputs = []
    for word in words:
        inputs += [word[:k] for k in range(3, min(len(word), 8) + 1)]
        i = rng.randrange(1, len(word) - 1)
        inputs.append(word[:i] + word[i + 1 :])  # a letter dropped
        inputs.append(word[: i - 1] + word[i] + word[i - 1] + word[i + 1 :])  # two letters swapped
    inputs = sorted(set(inputs))
    rng.shuffle(inputs)
    return inputs


def _subscriber() -> User:
    user = User.objects.filter(email=SUBSCRIBER_EMAIL).first()
    if user is None:
        user = User.objects.create_user(email=SUBSCRIBER_EMAIL, password=None)
        user.email_verified_at = timezone.now()
        user.save()
    now = timezone.now()
    live = Subscription.objects.filter(user=user, status="active", current_period_end__gt=now + timedelta(days=1))
    if not live.exists():
        Subscription.objects.filter(user=user).delete()
        Subscription.objects.create(
            user=user,
            plan=Plan.objects.filter(code="weekly").first(),
            status="active",
            current_period_start=now,
            current_period_end=now + timedelta(days=30),
            provider="dev",
        )
    return user


def _comment_thread(user: User) -> str:
    """The slug of a public article with a threaded discussion of at least 40 comments (created if needed)."""
    top = (
        Article.objects.published()
        .annotate(n=Count("comments"))
        .filter(n__gte=40)
        .order_by("-n")
        .values_list("slug", flat=True)
        .first()
    )
    if top:
        return top
    article = Article.objects.published().filter(access_level="free").order_by("-published_at").first()
    article = article or Article.objects.published().order_by("-published_at").first()

    def comment(body: str, **thread) -> Comment:
        return Comment.objects.create(article=article, author=user, body=body, body_html=f"<p>{body}</p>", **thread)

    roots = [
        comment(f"Benchmark comment {i}: a considered view on the story, with enough words to look like one.", depth=0)
        for i in range(15)
    ]
    for i, root in enumerate(roots):
        parent = root
        for depth in (1, 2):
            body = f"Reply {i}.{depth}: agreed, and here is one more thought about it."
            parent = comment(body, parent=parent, root=root, depth=depth)
    Article.objects.filter(pk=article.pk).update(
        comment_count=Comment.objects.filter(article=article, status="visible").count()
    )
    return article.slug


def _tsv(path: Path, lines) -> int:
    n = 0
    with path.open("w") as f:
        for method, url, headers, body in lines:
            header_text = "|".join(f"{k}: {v}" for k, v in headers.items())
            f.write(f"{method}\t{url}\t{header_text}\t{body}\n")
            n += 1
    return n


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--lines", type=int, default=150_000, help="requests prepared per fresh-reader scenario")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)

    published = Article.objects.published()
    newest_first = published.order_by("-published_at", "-id")
    # newest first: the order readers' attention follows (see `popular`)
    metered_by_age = list(newest_first.filter(access_level="metered").values_list("slug", flat=True)[:200_000])
    paid_by_age = list(newest_first.exclude(access_level="free").values_list("slug", flat=True)[:200_000])
    every = list(published.values_list("slug", flat=True)[:200_000])
    metered, paid = list(metered_by_age), list(paid_by_age)
    if len(metered) < 10:
        print("need at least 10 published metered articles: run seed_demo first", file=sys.stderr)
        return 2
    for slugs in (metered, paid, every):
        rng.shuffle(slugs)

    def popular(slugs: list[str], n: int) -> list[str]:
        """`n` article picks with news-like popularity: Zipf (s = 1) over the archive, newest first, so the
        newest stories get most views and every archived article still gets some (a long tail of cache misses)."""
        cum, total = [], 0.0
        for rank in range(len(slugs)):
            total += 1.0 / (rank + 1)
            cum.append(total)
        return rng.choices(slugs, cum_weights=cum, k=n)

    anon_limit = meter_limits()[0]
    if anon_limit < 1:
        print("the anonymous allowance is 0: scenario 1 needs a metered allowance", file=sys.stderr)
        return 2

    user = _subscriber()
    access = AccessToken.for_user(user)
    access.set_exp(lifetime=timedelta(hours=12))
    bearer = {"Authorization": f"Bearer {access}"}
    json_headers = {"Content-Type": "application/json"}

    # a reader whose allowance is used up today
    exhausted_id, exhausted_token = reader_token_issue()
    for slug in metered[:anon_limit]:
        access_decide(reader=Reader(anon_id=exhausted_id), article=published.get(slug=slug), record=True)
    unread = metered[anon_limit:] or metered
    unread_set = set(unread)

    section = Section.objects.annotate(n=Count("articles")).order_by("-n").values_list("slug", flat=True).first() or ""
    comments_slug = _comment_thread(user)
    newest = published.order_by("-published_at").values_list("published_at", flat=True).first() or timezone.now()

    def fresh_detail(picks=None):
        """New anonymous readers, each reading `anon_limit` different articles: every request a counted read.
        `picks`: the articles in order (popular ones), else the shuffled archive, each article once (cold)."""
        made = 0
        k = 0
        picks = iter(picks) if picks is not None else None
        while made < args.lines:
            _, token = reader_token_issue()
            seen: set[str] = set()
            for j in range(anon_limit):
                if picks is None:
                    slug = metered[(k * anon_limit + j) % len(metered)]
                else:
                    slug = next(picks)
                    while slug in seen:  # a reader's second view of an article would not count: draw again
                        slug = next(picks)
                    seen.add(slug)
                yield "GET", f"/api/v1/articles/{slug}/", {"X-Reader-Token": token}, ""
                made += 1
            k += 1

    def fresh_graphql():
        made = 0
        picks = iter(popular(metered_by_age, args.lines * 2 + 100))
        while made < args.lines:
            _, token = reader_token_issue()
            seen: set[str] = set()
            for _j in range(anon_limit):
                slug = next(picks)
                while slug in seen:
                    slug = next(picks)
                seen.add(slug)
                body = json.dumps({"query": GRAPHQL_DETAIL, "variables": {"slug": slug}}, separators=(",", ":"))
                yield "POST", "/graphql/", {**json_headers, "X-Reader-Token": token}, body
                made += 1

    def uncached(base: str, n: int):
        # a distinct published_before per request: every request misses the public page cache
        for i in range(n):
            before = (newest - timedelta(seconds=i)).strftime("%Y-%m-%dT%H:%M:%SZ")
            yield "GET", f"{base}&published_before={before}", {}, ""

    search_terms = _search_terms()

    def search_uncached(n: int):
        for i in range(n):
            before = (newest - timedelta(seconds=i)).strftime("%Y-%m-%dT%H:%M:%SZ")
            term = search_terms[i % len(search_terms)]
            yield "GET", f"/api/v1/articles/?search={quote(term)}&page_size=20&published_before={before}", {}, ""

    suggest_inputs = _suggest_inputs(rng)

    def suggest_uncached(n: int):
        # `_` numbers the request: every request misses the page cache, as a distinct query string would
        for i in range(n):
            yield "GET", f"/api/v1/search/suggest/?q={quote(suggest_inputs[i % len(suggest_inputs)])}&_={i}", {}, ""

    n_rot = min(len(every), 20_000)
    scenarios = {
        "floor": [("GET", f"/bench/floor/{s}/", {}, "") for s in every[:n_rot]],
        "detail_anon": fresh_detail(popular(metered_by_age, args.lines * 2 + 100)),
        "detail_anon_cold": fresh_detail(),
        "detail_subscriber": [("GET", f"/api/v1/articles/{s}/", bearer, "") for s in popular(paid_by_age, n_rot)],
        "detail_metered_out": [
            ("GET", f"/api/v1/articles/{s}/", {"X-Reader-Token": exhausted_token}, "")
            for s in popular([u for u in metered_by_age if u in unread_set], n_rot)
        ],
        "list": [("GET", "/api/v1/articles/?page_size=20", {}, "")],
        "list_uncached": uncached("/api/v1/articles/?page_size=20", args.lines),
        "list_section": [("GET", f"/api/v1/articles/?section={section}&page_size=20", {}, "")],
        "search": search_uncached(args.lines),
        "suggest": suggest_uncached(args.lines),
        "graphql_list": [
            ("POST", "/graphql/", json_headers, json.dumps({"query": GRAPHQL_LIST}, separators=(",", ":")))
        ],
        "graphql_detail": fresh_graphql(),
        "comments": [("GET", f"/api/v1/articles/{comments_slug}/comments/", bearer, "")],
        **ghost_scenarios(popular(metered_by_age, args.lines * 2 + 100), anon_limit=anon_limit, lines=args.lines),
    }
    summary = {"articles": published.count(), "anonymous_limit": anon_limit, "section": section}
    summary["search_terms"] = search_terms
    summary["suggest_inputs"] = len(suggest_inputs)
    if connection.vendor == "postgresql":
        from django.contrib.postgres.search import SearchQuery

        matches = [
            published.filter(search_vector=SearchQuery(t, search_type="websearch", config="english")).count()
            for t in search_terms
        ]
        summary["search_matches_avg"] = round(sum(matches) / len(matches))
    summary["comments_article"] = comments_slug
    summary["files"] = {name: _tsv(out / f"{name}.tsv", lines) for name, lines in scenarios.items()}
    (out / "summary.json").write_text(json.dumps(summary, indent=2))
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
