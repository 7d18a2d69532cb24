"""Attachments are checked by content, size and type, stored with their SHA-256."""

import hashlib
import io
import zipfile

import pytest

from mptf.extensions import db
from mptf.models import Attachment, FundConfig
from mptf.pipeline import services
from mptf.services.errors import ServiceError
from tests import factories


def office_file(kind: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml" if kind == "docx" else "xl/workbook.xml", "<x/>")
    return buffer.getvalue()


@pytest.mark.parametrize("name,data,kind", [
    ("endorsement.pdf", factories.MINIMAL_PDF, "pdf"),
    ("budget.xlsx", office_file("xlsx"), "xlsx"),
    ("letter.docx", office_file("docx"), "docx"),
])
def test_accepted_files(kenya, name, data, kind):
    note = factories.note(kenya)
    attachment = services.add_attachment(kenya, note, name, data)
    assert attachment.kind == kind
    assert attachment.sha256 == hashlib.sha256(data).hexdigest()
    assert attachment.size_bytes == len(data)


@pytest.mark.parametrize("name,data,message", [
    ("setup.exe", b"MZ\x90\x00" + b"\x00" * 100, "Attach a PDF, Word"),
    ("report.pdf", b"MZ\x90\x00" + b"\x00" * 100, "not a real .pdf file"),
    ("report.pdf", b"\x7fELF" + b"\x00" * 100, "not a real .pdf file"),
    ("budget.xlsx", office_file("docx"), "not a real .xlsx file"),
    ("letter.docx", b"PK\x03\x04 not really a zip", "not a real .docx file"),
    ("letter.docx", factories.MINIMAL_PDF, "not a real .docx file"),
    ("empty.pdf", b"", "The file is empty."),
    ("noextension", factories.MINIMAL_PDF, "Attach a PDF, Word"),
])
def test_refused_files_leave_nothing(kenya, name, data, message):
    note = factories.note(kenya)
    with pytest.raises(ServiceError, match=message):
        services.add_attachment(kenya, note, name, data)
    assert db.session.scalars(db.select(Attachment)).all() == []


def test_too_big(kenya):
    db.session.get(FundConfig, 1).attachment_max_bytes = 1000
    note = factories.note(kenya)
    with pytest.raises(ServiceError, match="larger than"):
        services.add_attachment(kenya, note, "big.pdf", factories.MINIMAL_PDF + b"0" * 1000)


def test_upload_and_download_through_the_page(client, auth, kenya):
    note = factories.note(kenya)
    db.session.commit()
    auth.login("kenya@example.org")
    response = auth.post(f"/pipeline/{note.id}/attachments",
                         {"file": (io.BytesIO(factories.MINIMAL_PDF), "endorsement.pdf")},
                         token_from=f"/pipeline/{note.id}/edit",
                         content_type="multipart/form-data")
    assert response.status_code == 302
    attachment = db.session.scalar(db.select(Attachment))
    download = client.get(f"/pipeline/{note.id}/attachments/{attachment.id}")
    assert download.data == factories.MINIMAL_PDF
    assert download.headers["Content-Type"] == "application/pdf"
    renamed = auth.post(f"/pipeline/{note.id}/attachments",
                        {"file": (io.BytesIO(b"MZ" + b"\0" * 50), "virus.pdf")},
                        token_from=f"/pipeline/{note.id}/edit",
                        content_type="multipart/form-data")
    assert renamed.status_code == 400
    assert "not a real .pdf file" in renamed.get_data(as_text=True)
    assert len(db.session.scalars(db.select(Attachment)).all()) == 1


def test_a_submitted_versions_attachment_is_kept(kenya):
    note = factories.note(kenya)
    attachment = factories.add_pdf(kenya, note)
    services.submit(kenya, note)
    secretariat = factories.user("secretariat")
    services.screen(secretariat, note, dict.fromkeys(services.CHECKLIST, True), "returned",
                    "Revise.")
    with pytest.raises(ServiceError, match="belongs to a submitted version"):
        services.remove_attachment(kenya, attachment)
