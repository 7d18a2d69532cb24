"""After a "Save and submit" that is refused (the edits are saved, the problems listed), the
next save, attachment or removal works on the saved draft: no false "Someone else saved this
note" (issue 22, item 2), no second draft from the new-note page (item 3), and nothing typed is
lost by attaching or removing a file."""

import io
import re

from mptf.extensions import db
from mptf.models import Attachment, ConceptNote
from tests import factories
from tests.mptf.pipeline.test_pages import LOCK_RE, form_post

STALE = "Someone else saved this note"


def lock_of(html: str) -> str:
    return LOCK_RE.search(html).group(1)


def test_saving_after_a_refused_submission_is_not_a_conflict(client, auth, kenya):
    note = factories.note(kenya)
    db.session.commit()
    edit = f"/pipeline/{note.id}/edit"
    auth.login("kenya@example.org")
    opened = lock_of(client.get(edit).get_data(as_text=True))
    refused = auth.post(edit, form_post({"title": "", "lock_version": opened}, "submit"),
                        token_from=edit)
    assert refused.status_code == 400
    html = refused.get_data(as_text=True)
    assert "Your edits are saved as a draft" in html and "Give a title." in html
    db.session.expire_all()
    saved = db.session.get(ConceptNote, note.id)
    assert saved.title == "" and saved.status == "draft"
    assert lock_of(html) == str(saved.lock_version)  # the saved version, not the posted one

    fixed = auth.post(edit, form_post({"title": "Fixed title", "lock_version": lock_of(html)}),
                      token_from=edit)
    assert fixed.status_code == 302, fixed.get_data(as_text=True)
    assert STALE not in client.get(edit).get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(ConceptNote, note.id).title == "Fixed title"


def test_attaching_saves_what_was_typed_first(client, auth, kenya):
    """The Attach button posts the note form with the file (edit.html): the typed text is
    saved as a draft, then the file attached; a refused file keeps the text saved and shown."""
    note = factories.note(kenya)
    db.session.commit()
    edit = f"/pipeline/{note.id}/edit"
    upload = f"/pipeline/{note.id}/attachments"
    auth.login("kenya@example.org")
    page = client.get(edit).get_data(as_text=True)
    assert f'formaction="{upload}"' in page and 'form="note-form"' in page

    typed = form_post({"title": "Typed before attaching", "lock_version": lock_of(page)})
    typed.pop("save")
    attached = auth.post(upload, typed | {
        "file": (io.BytesIO(factories.MINIMAL_PDF), "endorsement.pdf"), "upload": "Attach"},
        token_from=edit, content_type="multipart/form-data")
    assert attached.status_code == 302
    db.session.expire_all()
    saved = db.session.get(ConceptNote, note.id)
    assert saved.title == "Typed before attaching"
    assert [a.filename for a in saved.attachments] == ["endorsement.pdf"]

    page = client.get(edit).get_data(as_text=True)
    typed = form_post({"title": "Typed again", "lock_version": lock_of(page)})
    typed.pop("save")
    refused = auth.post(upload, typed | {
        "file": (io.BytesIO(b"MZ" + b"\0" * 50), "virus.pdf"), "upload": "Attach"},
        token_from=edit, content_type="multipart/form-data")
    assert refused.status_code == 400
    html = refused.get_data(as_text=True)
    assert "not a real .pdf file" in html and 'value="Typed again"' in html
    db.session.expire_all()
    saved = db.session.get(ConceptNote, note.id)
    assert saved.title == "Typed again" and len(saved.attachments) == 1
    assert lock_of(html) == str(saved.lock_version)  # the next save is not refused as stale

    kept = auth.post(edit, form_post({"title": "Typed again", "lock_version": lock_of(html)}),
                     token_from=edit)
    assert kept.status_code == 302


def test_attaching_with_a_stale_form_attaches_nothing_and_keeps_the_text(client, auth, kenya):
    note = factories.note(kenya)
    db.session.commit()
    edit = f"/pipeline/{note.id}/edit"
    auth.login("kenya@example.org")
    opened = lock_of(client.get(edit).get_data(as_text=True))
    from mptf.pipeline import services

    services.update_draft(kenya, note, {"title": "A colleague's title"})
    db.session.commit()
    typed = form_post({"title": "Mine", "lock_version": opened})
    typed.pop("save")
    late = auth.post(f"/pipeline/{note.id}/attachments", typed | {
        "file": (io.BytesIO(factories.MINIMAL_PDF), "endorsement.pdf"), "upload": "Attach"},
        token_from=edit, content_type="multipart/form-data")
    assert late.status_code == 409
    html = late.get_data(as_text=True)
    assert STALE in html and 'value="Mine"' in html
    db.session.expire_all()
    assert db.session.get(ConceptNote, note.id).title == "A colleague's title"
    assert db.session.scalar(db.select(Attachment)) is None


def test_removing_an_attachment_saves_what_was_typed_first(client, auth, kenya):
    note = factories.note(kenya)
    attachment = factories.add_pdf(kenya, note)
    db.session.commit()
    edit = f"/pipeline/{note.id}/edit"
    remove = f"/pipeline/{note.id}/attachments/{attachment.id}/delete"
    auth.login("kenya@example.org")
    page = client.get(edit).get_data(as_text=True)
    assert f'formaction="{remove}"' in page
    typed = form_post({"title": "Typed before removing", "lock_version": lock_of(page)})
    typed.pop("save")
    assert auth.post(remove, typed, token_from=edit).status_code == 302
    db.session.expire_all()
    saved = db.session.get(ConceptNote, note.id)
    assert saved.title == "Typed before removing" and saved.attachments == []


def test_a_refused_first_submission_leads_to_the_drafts_own_page(client, auth, kenya):
    auth.login("kenya@example.org")
    refused = auth.post("/pipeline/new", form_post({"title": ""}, "submit"),
                        token_from="/pipeline/new")
    note = db.session.scalar(db.select(ConceptNote))
    assert note.status == "draft"
    assert refused.status_code == 303
    assert re.fullmatch(rf"/pipeline/{note.id}/edit\?problems=1", refused.headers["Location"])
    page = client.get(refused.headers["Location"])
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert f"{note.reference}: edit" in html
    assert "The note cannot be submitted yet" in html and "Give a title." in html

    edit = f"/pipeline/{note.id}/edit"
    saved = auth.post(edit, form_post({"title": "Now with a title",
                                       "lock_version": lock_of(html)}), token_from=edit)
    assert saved.status_code == 302
    assert db.session.scalar(db.select(db.func.count()).select_from(ConceptNote)) == 1
    db.session.expire_all()
    assert db.session.get(ConceptNote, note.id).title == "Now with a title"


def test_the_edit_page_lists_problems_only_when_asked(client, auth, kenya):
    note = factories.note(kenya, title="")
    db.session.commit()
    auth.login("kenya@example.org")
    assert "Give a title." not in client.get(f"/pipeline/{note.id}/edit").get_data(as_text=True)
    assert "Give a title." in client.get(
        f"/pipeline/{note.id}/edit?problems=1").get_data(as_text=True)
