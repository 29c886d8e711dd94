"""Rules x formats x permissions -> the one offer a user sees."""

from gateway.onlyoffice.formats import FormatTable, default_format_table
from gateway.onlyoffice.rules import AttachmentFacts, UserFacts, decide, matching_rule, switched_off
from gateway.settings import RuleSettings

TABLE = default_format_table()
EDITOR = UserFacts(anonymous=False, groups=frozenset({"confluence-users"}), can_view=True, can_edit=True)
VIEWER = UserFacts(anonymous=False, groups=frozenset({"confluence-users"}), can_view=True, can_edit=False)
ANONYMOUS_READER = UserFacts(anonymous=True, groups=frozenset(), can_view=True, can_edit=True)
STRANGER = UserFacts(anonymous=True, groups=frozenset(), can_view=False, can_edit=False)


def attachment(
    name: str, size: int | None = 1000, space: str = "DEMO", page: str = "65540"
) -> AttachmentFacts:
    return AttachmentFacts(filename=name, size=size, page_id=page, space_key=space)


def test_editor_gets_edit_viewer_gets_view_stranger_nothing() -> None:
    assert decide((), TABLE, attachment("report.docx"), EDITOR).mode == "edit"
    assert decide((), TABLE, attachment("report.docx"), VIEWER).mode == "view"
    assert not decide((), TABLE, attachment("report.docx"), STRANGER).anything


def test_anonymous_never_edits_even_if_confluence_would_let_them() -> None:
    offer = decide((), TABLE, attachment("report.docx"), ANONYMOUS_READER)
    assert offer.mode == "view" and offer.convert_to is None


def test_view_only_formats_and_unknown_formats() -> None:
    assert decide((), TABLE, attachment("legacy.doc"), EDITOR).mode == "view"
    assert not decide((), TABLE, attachment("setup.exe"), EDITOR).anything


def test_convert_needs_rights_and_a_target() -> None:
    assert decide((), TABLE, attachment("legacy.doc"), EDITOR).convert_to == "docx"
    assert decide((), TABLE, attachment("legacy.doc"), VIEWER).convert_to is None
    assert decide((), TABLE, attachment("report.docx"), EDITOR).convert_to is None


def test_lossy_edit_is_opt_in() -> None:
    assert decide((), TABLE, attachment("notes.odt"), EDITOR).mode == "view"
    assert decide((RuleSettings(lossy_edit=("odt",)),), TABLE, attachment("notes.odt"), EDITOR).mode == "edit"


def test_older_versions_are_viewed_not_edited() -> None:
    facts = AttachmentFacts(filename="report.docx", size=10, page_id="1", space_key="DEMO", is_latest=False)
    assert decide((), TABLE, facts, EDITOR).mode == "view"


def test_pdf_forms_are_filled() -> None:
    offer = decide((), TABLE, attachment("form.pdf"), EDITOR)
    assert offer.mode == "edit" and offer.fill_forms


def test_size_limit_default_and_per_rule() -> None:
    assert not decide((), TABLE, attachment("big.docx", size=101 * 1024 * 1024), EDITOR).anything
    rules = (RuleSettings(max_size=10),)
    assert not decide(rules, TABLE, attachment("report.docx", size=11), EDITOR).anything
    assert decide(rules, TABLE, attachment("report.docx", size=10), EDITOR).mode == "edit"


def test_first_matching_rule_wins_and_can_turn_off_a_space() -> None:
    rules = (
        RuleSettings(spaces=("HR",), enabled=False),
        RuleSettings(extensions=("xlsx",), actions=("view",)),
        RuleSettings(spaces=("DEMO",)),
    )
    assert not decide(rules, TABLE, attachment("report.docx", space="HR"), EDITOR).anything
    assert decide(rules, TABLE, attachment("budget.xlsx"), EDITOR).mode == "view"
    assert decide(rules, TABLE, attachment("report.docx"), EDITOR).mode == "edit"
    assert not decide(rules, TABLE, attachment("report.docx", space="OTHER"), EDITOR).anything


def test_rules_by_page_and_group() -> None:
    rules = (RuleSettings(pages=("42",), groups=("editors",)),)
    editor_in_group = UserFacts(anonymous=False, groups=frozenset({"editors"}), can_view=True, can_edit=True)
    assert matching_rule(rules, attachment("a.docx", page="42"), editor_in_group) is rules[0]
    assert matching_rule(rules, attachment("a.docx", page="43"), editor_in_group) is None
    assert matching_rule(rules, attachment("a.docx", page="42"), EDITOR) is None


def test_rule_without_edit_offers_view_to_editors() -> None:
    rules = (RuleSettings(actions=("view", "convert")),)
    offer = decide(rules, TABLE, attachment("legacy.doc"), EDITOR)
    assert offer.mode == "view" and offer.convert_to == "docx"


def test_switched_off_only_where_no_file_or_user_could_get_anything() -> None:
    off = (RuleSettings(spaces=("HR",), enabled=False), RuleSettings(spaces=("DEMO",)))
    assert switched_off(off, "HR", "1")
    assert not switched_off(off, "DEMO", "1")
    assert switched_off(off, "OTHER", "1")  # no rule matches: nothing is offered
    assert not switched_off((), "HR", "1")  # no rules: everything allowed
    assert not switched_off(off, None, None)  # unknown space: cannot tell
    conditional = (RuleSettings(spaces=("HR",), extensions=("docx",)), RuleSettings(enabled=False))
    assert not switched_off(conditional, "HR", "1")
    partly = (RuleSettings(extensions=("docx",), enabled=False), RuleSettings(pages=("7",), enabled=False))
    assert switched_off(partly, "HR", "7")


def test_disabled_rule_keeps_the_format_known() -> None:
    offer = decide((RuleSettings(enabled=False),), TABLE, attachment("report.docx"), EDITOR)
    assert not offer.anything
    assert offer.format is not None


def test_download_as_needs_view_the_rule_the_size_and_targets() -> None:
    offer = decide((), TABLE, attachment("report.docx"), VIEWER)
    assert offer.download_to == TABLE.get("docx").convert_targets and "pdf" in offer.download_to  # type: ignore[union-attr]
    assert decide((), TABLE, attachment("legacy.doc"), ANONYMOUS_READER).download_to  # VIEW is enough
    assert not decide((), TABLE, attachment("report.docx"), STRANGER).download_to
    assert not decide((), TABLE, attachment("big.docx", size=101 * 1024 * 1024), VIEWER).download_to
    no_download = (RuleSettings(actions=("edit", "view", "convert", "create")),)
    assert not decide(no_download, TABLE, attachment("report.docx"), EDITOR).download_to
    only_download = decide((RuleSettings(actions=("download",)),), TABLE, attachment("report.docx"), VIEWER)
    assert only_download.mode is None and only_download.download_to and only_download.anything
    nothing_to_make = FormatTable(
        {
            "targets": {"none": []},
            "default_targets": {},
            "formats": {"xyz": {"type": "word", "actions": ["view"], "convert": "none", "mime": "x/y"}},
        }
    )
    offer = decide((), nothing_to_make, attachment("a.xyz"), VIEWER)
    assert offer.mode == "view" and offer.download_to == ()
