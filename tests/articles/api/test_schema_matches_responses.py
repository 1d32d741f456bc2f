"""The OpenAPI schema describes exactly what the content API sends: for each response, every object's keys are the
schema's properties (none missing, none extra), every required property is there, and a null only where the schema
says nullable. The serializers declare the schema and the presenters (articles/presenters.py) build the data, so
this is what keeps the two from drifting apart."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image as PILImage

from articles.models import Article, Image
from tests.articles.factories import ArticleFactory, AuthorFactory, SectionFactory, TagFactory
from tests.paywall.factories import PlanFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def schema(api_client):
    response = api_client.get("/api/schema/?format=json")
    assert response.status_code == 200
    return response.json()


def _resolve(schema: dict, node: dict) -> tuple[dict, bool]:
    """(the node with $ref/allOf followed, whether it is nullable)."""
    nullable = bool(node.get("nullable"))
    while True:
        if "$ref" in node:
            node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[-1]]
        elif "allOf" in node and len(node["allOf"]) == 1:
            node = node["allOf"][0]
        else:
            return node, nullable or bool(node.get("nullable"))
        nullable = nullable or bool(node.get("nullable"))


def _mismatches(schema: dict, node: dict, value, path: str = "$") -> list[str]:
    node, nullable = _resolve(schema, node)
    if value is None:
        return [] if nullable else [f"{path}: null, not nullable in the schema"]
    if "properties" in node:
        if not isinstance(value, dict):
            return [f"{path}: {type(value).__name__}, the schema says object"]
        properties = node["properties"]
        out = []
        if set(value) != set(properties):
            out.append(f"{path}: sent {sorted(value)}, schema {sorted(properties)}")
        out += [f"{path}.{key}: required, not sent" for key in node.get("required", []) if key not in value]
        for key in set(value) & set(properties):
            out += _mismatches(schema, properties[key], value[key], f"{path}.{key}")
        return out
    if node.get("type") == "array":
        if not isinstance(value, list):
            return [f"{path}: {type(value).__name__}, the schema says array"]
        return [m for i, item in enumerate(value) for m in _mismatches(schema, node["items"], item, f"{path}[{i}]")]
    expected = {"string": str, "integer": int, "boolean": bool, "object": dict}.get(node.get("type"))
    if expected is not None and not isinstance(value, expected):
        return [f"{path}: {type(value).__name__}, the schema says {node['type']}"]
    return []


def _response_schema(schema: dict, path: str, method: str = "get") -> dict:
    return schema["paths"][path][method]["responses"]["200"]["content"]["application/json"]["schema"]


@pytest.fixture
def content():
    """Articles with everything a response can carry: section, tags, a byline with links and a hero image with
    renditions; a free, a metered and a premium one; a plan so that a paywall lists one."""
    buffer = io.BytesIO()
    PILImage.new("RGB", (40, 20), "red").save(buffer, format="PNG")
    image = Image.objects.create(
        file=SimpleUploadedFile("hero.png", buffer.getvalue(), content_type="image/png"), alt="A", caption="C"
    )
    Image.objects.filter(pk=image.pk).update(
        renditions=[{"width": 20, "height": 10, "format": "webp", "url": "/media/r/20w.webp"}]
    )
    PlanFactory()
    author = AuthorFactory(slug="amy", links=[{"label": "Site", "url": "https://amy.example"}])
    tags = [TagFactory(slug="ships"), TagFactory(slug="sea")]
    section = SectionFactory(slug="navy", name="Navy")
    articles = {
        level: ArticleFactory(
            slug=level, access_level=level, section=section, authors=[author], tags=tags, hero_image_id=image.pk
        )
        for level in (Article.AccessLevel.FREE, Article.AccessLevel.METERED, Article.AccessLevel.PREMIUM)
    }
    ArticleFactory(slug="bare", section=None)  # no section, no byline, no image: the nullable side
    return articles


@pytest.mark.parametrize(
    ("url", "schema_path"),
    [
        ("/api/v1/articles/", "/api/v1/articles/"),
        ("/api/v1/articles/?search=paragraph", "/api/v1/articles/"),
        ("/api/v1/articles/free/", "/api/v1/articles/{slug}/"),  # granted, full body, articleBody in json_ld
        ("/api/v1/articles/premium/", "/api/v1/articles/{slug}/"),  # paywalled: preview, a paywall with plans
        ("/api/v1/articles/bare/", "/api/v1/articles/{slug}/"),
        ("/api/v1/articles/free/related/", "/api/v1/articles/{slug}/related/"),
        ("/api/v1/sections/", "/api/v1/sections/"),
        ("/api/v1/sections/navy/", "/api/v1/sections/{slug}/"),
        ("/api/v1/tags/", "/api/v1/tags/"),
        ("/api/v1/authors/", "/api/v1/authors/"),
        ("/api/v1/authors/amy/", "/api/v1/authors/{slug}/"),
    ],
)
def test_the_schema_describes_what_is_sent(api_client, schema, content, url, schema_path):
    response = api_client.get(url)
    assert response.status_code == 200, response.content
    data = response.json()

    assert _mismatches(schema, _response_schema(schema, schema_path), data) == []


def test_the_paywalled_detail_exercises_the_paywall_shape(api_client, schema, content):
    """The comparison above only means something if the nested shapes are really there."""
    data = api_client.get("/api/v1/articles/premium/").json()
    assert data["access"]["granted"] is False and data["paywall"]["plans"]
    assert data["hero_image"]["renditions"] and data["authors"] and data["tags"] and data["section"]


def test_a_drift_is_caught(schema, content, api_client):
    """A key the schema does not declare, or a missing one, is reported."""
    data = api_client.get("/api/v1/articles/free/").json()
    node = _response_schema(schema, "/api/v1/articles/{slug}/")
    extra = {**data, "hero_image": {**data["hero_image"], "focal_point": None}}
    missing = {key: value for key, value in data.items() if key != "seo"}
    assert _mismatches(schema, node, extra) == [
        "$.hero_image: sent ['alt', 'caption', 'credit', 'focal_point', 'height', 'renditions', 'url', 'width'], "
        "schema ['alt', 'caption', 'credit', 'height', 'renditions', 'url', 'width']"
    ]
    assert "$.seo: required, not sent" in _mismatches(schema, node, missing)


def test_the_schema_describes_access_policy_under_an_experiment(api_client, schema, content):
    """A running experiment's arm in `access.policy` (an object, not the null of the default policy)."""
    from datetime import timedelta

    from django.utils import timezone

    from paywall.models import Experiment, ExperimentArm

    experiment = Experiment.objects.create(slug="wall-test", name="W", start_at=timezone.now() - timedelta(hours=1))
    ExperimentArm.objects.create(experiment=experiment, name="all", is_control=True, share=100)
    data = api_client.get("/api/v1/articles/metered/").json()
    assert data["access"]["policy"] == {"experiment": "wall-test", "arm": "all"}
    assert _mismatches(schema, _response_schema(schema, "/api/v1/articles/{slug}/"), data) == []


def test_the_schema_describes_gift_reads_and_gift_links(api_client, schema, content, subscriber):
    """A recipient's read (`offer`), a dead token's (`gift`), and the giver's own endpoints (issue 17)."""
    from rest_framework_simplejwt.tokens import RefreshToken

    from tests.paywall.gifts import gift_of

    _, token = gift_of(content["premium"], subscriber)
    detail = _response_schema(schema, "/api/v1/articles/{slug}/")
    opened = api_client.get("/api/v1/articles/premium/", {"gift": token}).json()
    dead = api_client.get("/api/v1/articles/premium/", {"gift": token + "x"}).json()
    assert opened["offer"]["plans"] and dead["gift"]["status"] == "invalid" and dead["paywall"]["plans"]
    assert _mismatches(schema, detail, opened) == [] and _mismatches(schema, detail, dead) == []
    headers = {"Authorization": f"Bearer {RefreshToken.for_user(subscriber).access_token}"}
    created = api_client.post("/api/v1/articles/free/gifts/", headers=headers)
    create_schema = schema["paths"]["/api/v1/articles/{slug}/gifts/"]["post"]["responses"]["201"]
    assert _mismatches(schema, create_schema["content"]["application/json"]["schema"], created.json()) == []
    listed = api_client.get("/api/v1/me/gifts/", headers=headers).json()
    assert len(listed["results"]) == 2
    assert _mismatches(schema, _response_schema(schema, "/api/v1/me/gifts/"), listed) == []
