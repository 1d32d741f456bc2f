import pytest

from cms.core.email import email_enqueue


@pytest.mark.django_db
def test_smtp_fixture_receives_email_sent_through_outbox_and_celery(
    smtp_server, django_capture_on_commit_callbacks, tmp_path, settings
):
    # given a template
    (tmp_path / "email").mkdir()
    (tmp_path / "email" / "fixture_probe.txt").write_text("Subject: Probe {{ n }}\n\nHello {{ n }}\n")
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path, *settings.TEMPLATES[0]["DIRS"]]}]
    # when
    with django_capture_on_commit_callbacks(execute=True):
        email_enqueue(to="probe@example.com", template="fixture_probe", context={"n": 7}, key="probe-7")
    # then
    assert len(smtp_server.messages) == 1
    message = smtp_server.messages[0]
    assert message["Subject"] == "Probe 7"
    assert message.envelope_to == ["probe@example.com"]
    assert "Hello 7" in message.get_body(("plain",)).get_content()
