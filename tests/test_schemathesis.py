"""Property-based API tests from the live OpenAPI schema (/api/schema/), in-process over WSGI.

Every GET operation of the content API is fuzzed: no input may cause a server error, and answers must conform to
the documented schema (status codes, content type, response shapes).
"""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error, response_schema_conformance, status_code_conformance

from cms.wsgi import application
from tests.articles.factories import ArticleFactory, AuthorFactory, SectionFactory, TagFactory

schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)
CONTENT_PATHS = r"^/api/v1/(articles/(\{slug\}/(related/)?)?|sections/(\{slug\}/)?|tags/|authors/(\{slug\}/)?)$"
content_schema = schema.include(method="GET", path_regex=CONTENT_PATHS)


@pytest.fixture
def content(db):
    # Like Django's test client: the WSGI handler must not close the test's DB connection (inside its transaction)
    # at request boundaries.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        _content()
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def _content():
    section, tag, author = SectionFactory(name="World"), TagFactory(name="Navy"), AuthorFactory(slug="jack")
    ArticleFactory(section=section, tags=[tag], authors=[author], slug="a")
    ArticleFactory(access_level="free")
    ArticleFactory(access_level="premium")


@pytest.mark.django_db
@content_schema.parametrize()
@settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_content_api_has_no_server_errors_and_conforms(case, content):
    response = case.call()
    case.validate_response(response, checks=(not_a_server_error, status_code_conformance, response_schema_conformance))


other_get_schema = schema.include(method="GET").exclude(path_regex=CONTENT_PATHS)


@pytest.mark.django_db
@other_get_schema.parametrize()
@settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_every_other_get_endpoint_has_no_server_errors(case, content):
    case.validate_response(case.call(), checks=(not_a_server_error,))
