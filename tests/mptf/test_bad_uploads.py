"""Forged uploads through the page, beside tests/mptf/pipeline/test_attachments.py (which
checks the service's type, content and size rules): an HTML body under a .pdf name, a
Content-Type that lies either way, a DOCX whose document expands to 200 MB, a file over the
fund's limit and one over the request limit, a name with a path or a line break. Refused
ones leave nothing; accepted ones are served as what their content is, as a download."""

from __future__ import annotations

import io
import uuid
import zipfile

import pytest

from mptf.extensions import db
from mptf.models import Attachment, AuditEvent, FundConfig
from tests import factories
from tests.conftest import csrf_token


def multipart(fields: dict, files: dict[str, tuple[bytes, str, str]]) -> tuple[bytes, str]:
    """A multipart body built by hand, so the part's Content-Type is exactly what we say and
    no temporary file of the test client is left open."""
    boundary = uuid.uuid4().hex
    out = io.BytesIO()
    for name, value in fields.items():
        out.write(f"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n"
                  f"{value}\r\n".encode())
    for name, (data, filename, media) in files.items():
        out.write(f"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; "
                  f"filename=\"{filename}\"\r\nContent-Type: {media}\r\n\r\n".encode())
        out.write(data + b"\r\n")
    out.write(f"--{boundary}--\r\n".encode())
    return out.getvalue(), f"multipart/form-data; boundary={boundary}"


@pytest.fixture
def draft(seeded, client):
    team = factories.user("country_team", country="KEN", email="kenya@example.org")
    note = factories.note(team)
    db.session.commit()
    token = csrf_token(client, "/login")
    client.post("/login", data={"email": "kenya@example.org", "password": factories.PASSWORD,
                                "csrf_token": token})
    return note


def upload(client, note, data: bytes, filename: str, media: str = "application/pdf"):
    body, content_type = multipart({"csrf_token": csrf_token(client, f"/pipeline/{note.id}/edit")},
                                   {"file": (data, filename, media)})
    return client.post(f"/pipeline/{note.id}/attachments", data=body,
                       content_type=content_type)


def stored() -> list[Attachment]:
    db.session.expire_all()
    return db.session.scalars(db.select(Attachment)).all()


def audit_count() -> int:
    return db.session.scalar(db.select(db.func.count()).select_from(AuditEvent))


def bomb_docx(expanded: int = 200 * 1024 * 1024) -> bytes:
    """A DOCX of a few hundred kilobytes whose document.xml inflates to ``expanded`` bytes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("word/document.xml", "w", force_zip64=True) as member:
            chunk = b"\0" * (1024 * 1024)
            for _ in range(expanded // len(chunk)):
                member.write(chunk)
    return buffer.getvalue()


@pytest.mark.parametrize("data,filename,media", [
    (b"<html><script>alert(1)</script></html>", "report.pdf", "application/pdf"),
    (b"<!DOCTYPE html><svg onload=alert(1)>", "report.pdf", "text/html"),
    (b"%PDF-1.4 <html>", "report.html", "text/html"),
    (factories.MINIMAL_PDF, "report.pdf.exe", "application/pdf"),
    (factories.MINIMAL_PDF, "report.svg", "image/svg+xml"),
])
def test_a_forged_file_is_refused_and_leaves_nothing(draft, client, data, filename, media):
    events = audit_count()
    response = upload(client, draft, data, filename, media)
    assert response.status_code == 400
    assert 'class="flash error"' in response.get_data(as_text=True)
    assert stored() == []
    assert audit_count() == events


def test_a_lying_content_type_does_not_decide_how_the_file_is_served(draft, client):
    response = upload(client, draft, factories.MINIMAL_PDF, "endorsement.pdf", "text/html")
    assert response.status_code == 302
    [attachment] = stored()
    assert attachment.media_type == "application/pdf"
    download = client.get(f"/pipeline/{draft.id}/attachments/{attachment.id}")
    assert download.headers["Content-Type"] == "application/pdf"
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert download.headers["X-Content-Type-Options"] == "nosniff"


def test_a_path_or_a_line_break_in_the_name_goes_nowhere(draft, client):
    response = upload(client, draft, factories.MINIMAL_PDF, "../../etc/passwd.pdf")
    assert response.status_code == 302
    response = upload(client, draft, factories.MINIMAL_PDF, "a.pdf\r\nX-Injected: 1\r\n.pdf")
    assert response.status_code < 500
    names = [a.filename for a in stored()]
    assert names[0] == "passwd.pdf"
    for attachment in stored():
        download = client.get(f"/pipeline/{draft.id}/attachments/{attachment.id}")
        assert "X-Injected" not in download.headers
        assert "\n" not in download.headers["Content-Disposition"]


def test_a_zip_bomb_docx_is_refused_without_being_inflated(draft, client, monkeypatch):
    """It was accepted and stored: a 200 KB DOCX that opens as 200 MB."""
    data = bomb_docx()
    assert len(data) < 1024 * 1024

    def refuse(*args, **kwargs):
        raise AssertionError("an uploaded archive was decompressed")

    monkeypatch.setattr(zipfile.ZipFile, "read", refuse)
    monkeypatch.setattr(zipfile.ZipFile, "open", refuse)
    events = audit_count()
    response = upload(client, draft, data, "letter.docx",
                      "application/vnd.openxmlformats-officedocument.wordprocessingml.document")
    assert response.status_code == 400
    assert "would expand to more than 100 MB" in response.get_data(as_text=True)
    assert stored() == []
    assert audit_count() == events


def test_over_the_funds_limit_is_refused_with_the_limit(draft, client):
    db.session.get(FundConfig, 1).attachment_max_bytes = 1024 * 1024
    db.session.commit()
    response = upload(client, draft, factories.MINIMAL_PDF + b"0" * (1024 * 1024),
                      "big.pdf")
    assert response.status_code == 400
    assert "larger than 1 MB" in response.get_data(as_text=True)
    assert stored() == []


def test_over_the_request_limit_is_413_with_a_sentence(draft, client):
    client.application.config["MAX_CONTENT_LENGTH"] = 64 * 1024
    events = audit_count()
    response = upload(client, draft, factories.MINIMAL_PDF + b"0" * (128 * 1024), "big.pdf")
    assert response.status_code == 413
    assert "larger than the fund accepts" in response.get_data(as_text=True)
    assert stored() == []
    assert audit_count() == events
