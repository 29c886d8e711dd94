"""The editor config: signed, permissions as allowed, user and language as Confluence knows them."""

from gateway.confluence.models import Attachment, Identity
from gateway.docserver.jwt import verify
from gateway.onlyoffice.editor.config import EditorRequest, action_link, build_editor_config, pick_language
from gateway.onlyoffice.formats import default_format_table

SECRET = "k" * 32
ATTACHMENT = Attachment(
    id="131074",
    title="<img src=x onerror=alert(1)>.docx",
    version=3,
    media_type="x",
    size=10,
    page_id="65540",
    page_title="Welcome",
    space_key="DEMO",
    download_path="/download/attachments/65540/a.docx",
)
ALICE = Identity(anonymous=False, username="alice", user_key="8a7f00", display_name="Alice Example")


def request(**overrides: object) -> EditorRequest:
    values: dict[str, object] = {
        "attachment": ATTACHMENT,
        "format": default_format_table().get("docx"),
        "identity": ALICE,
        "mode": "edit",
        "fill_forms": False,
        "key": "abc",
        "document_url": "http://gw/dl?t=1",
        "callback_url": "http://gw/cb?t=2",
        "instance": "http://gw/confluence",
        "goback_url": "http://gw/back",
        "lang": "en-GB",
        "avatar_url": None,
    }
    values.update(overrides)
    return EditorRequest(**values)  # type: ignore[arg-type]


def test_edit_config_is_signed_and_complete() -> None:
    config = build_editor_config(request(), SECRET)
    claims = verify(config["token"], SECRET)
    for field in ("document", "editorConfig", "documentType"):
        assert claims[field] == config[field]
    assert config["document"]["key"] == "abc" and config["document"]["title"] == ATTACHMENT.title
    assert config["editorConfig"]["callbackUrl"] == "http://gw/cb?t=2"
    assert config["editorConfig"]["user"] == {"id": "8a7f00", "name": "Alice Example"}
    assert config["document"]["permissions"]["edit"] is True


def test_view_config_has_no_callback_and_no_edit() -> None:
    config = build_editor_config(request(mode="view"), SECRET)
    assert "callbackUrl" not in config["editorConfig"]
    assert config["editorConfig"]["mode"] == "view" and config["document"]["permissions"]["edit"] is False


def test_anonymous_has_no_user() -> None:
    config = build_editor_config(request(mode="view", identity=Identity.anonymous_user()), SECRET)
    assert "user" not in config["editorConfig"]


def test_pdf_forms() -> None:
    config = build_editor_config(request(format=default_format_table().get("pdf"), fill_forms=True), SECRET)
    assert config["documentType"] == "pdf" and config["document"]["permissions"]["fillForms"] is True


def test_mobile_user_agent() -> None:
    assert build_editor_config(request(user_agent="Mozilla/5.0 (iPhone)"), SECRET)["type"] == "mobile"


def test_language_choice() -> None:
    assert pick_language("de_DE", "fr-FR,fr;q=0.9") == "de-DE"
    assert pick_language(None, "fr-FR,fr;q=0.9") == "fr-FR"
    assert pick_language("bad value<script>", None) == "en"


def test_action_link_takes_json_objects_only() -> None:
    assert action_link('{"action": {"type": "bookmark", "data": "x"}}') == {
        "action": {"type": "bookmark", "data": "x"}
    }
    for junk in (None, "", "nope", "[1]", "1", '"s"', "{" + " " * 9000 + "}"):
        assert action_link(junk) is None
