"""Things a newcomer meets first: the admin's name and the links `make run PORT=...` prints."""

import subprocess
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_the_admin_says_masthead(client, editor):
    login = client.get("/admin/login/").content.decode()
    assert "<title>Log in | Masthead</title>" in login
    assert "Django administration" not in login
    client.force_login(editor)
    index = client.get("/admin/").content.decode()
    assert '<div id="site-name"><a href="/admin/">Masthead</a></div>' in index
    assert "<title>Masthead administration | Masthead</title>" in index
    assert "Django administration" not in index and "Django site admin" not in index


@pytest.mark.django_db
def test_seed_demo_prints_links_to_the_address_it_is_served_on(settings):
    settings.PUBLIC_BASE_URL = "http://127.0.0.1:8011"
    out = StringIO()
    call_command("seed_demo", articles=0, no_images=True, no_progress=True, stdout=out)
    printed = out.getvalue()
    assert "http://127.0.0.1:8011/admin/" in printed
    assert "http://127.0.0.1:8011/api/redoc/" in printed
    assert ":8000" not in printed


def _make_dry_run(*args: str) -> str:
    result = subprocess.run(["make", "-n", *args], cwd=ROOT, capture_output=True, text=True, timeout=30, env={})
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_make_run_serves_and_links_on_the_port_it_is_given():
    plan = _make_dry_run("run", "PORT=8011")
    assert "PUBLIC_BASE_URL=http://127.0.0.1:8011 EMAIL_URL=dummymail:// .venv/bin/python manage.py seed_demo" in plan
    assert "manage.py runserver 127.0.0.1:8011" in plan
    default = _make_dry_run("run")
    assert "PUBLIC_BASE_URL=http://127.0.0.1:8000" in default and "runserver 127.0.0.1:8000" in default
