"""The domain's input rules, the sticky kinds, the templates and the permissions, without an app
(ADR 0003): each rule at its boundaries, with the code and the message people read."""
from __future__ import annotations

from tests.board_helpers import refusal

from datetime import date

import pytest

from workshop.domain import validation as v
from workshop.domain.errors import DomainError, Forbidden, ValidationError
from workshop.domain.kinds import KINDS, KINDS_BY_KEY, THEMED_KINDS, kind_from_name, kinds_as_dicts
from workshop.domain.permissions import (Account, can_create_discovery, can_manage_discovery, can_read_backlog,
                                         require)
from workshop.domain.templates import DEFAULT_TEMPLATE, all_templates, get_template




# --- one-line names and free text -----------------------------------------------------------------

@pytest.mark.parametrize("value, kwargs, expected", [
    ("  Payments  ", {}, "Payments"),
    ("Cafe\u0301", {}, "Caf\u00e9"),  # NFC: what looks the same is the same
    (None, {"required": False}, ""),
    ("x" * 120, {}, "x" * 120),
    ("x" * 5, {"max_length": 5}, "x" * 5),
])
def test_clean_line_accepts(value, kwargs, expected):
    assert v.clean_line(value, "team", **kwargs) == expected


@pytest.mark.parametrize("value, kwargs, expected", [
    (None, {}, ("missing_team", "Team is required.")),
    ("   ", {}, ("missing_team", "Team is required.")),
    (3, {}, ("invalid_team", "Team must be text.")),
    ("a\nb", {}, ("invalid_team", "Team must be one line without control characters.")),
    ("a\rb", {}, ("invalid_team", "Team must be one line without control characters.")),
    ("bell \x07", {}, ("invalid_team", "Team must be one line without control characters.")),
    ("del \x7f", {}, ("invalid_team", "Team must be one line without control characters.")),
    ("x" * 121, {}, ("team_too_long", "Team is 121 characters; the limit is 120.")),
    ("x" * 6, {"max_length": 5}, ("team_too_long", "Team is 6 characters; the limit is 5.")),
])
def test_clean_line_refuses(value, kwargs, expected):
    assert refusal(lambda: v.clean_line(value, "team", **kwargs)) == expected


def test_clean_line_names_the_field_in_words():
    assert refusal(lambda: v.clean_line("", "start_label")) == ("missing_start_label", "Start label is required.")


@pytest.mark.parametrize("value, expected", [
    (None, ""), ("  two\r\nlines\t tab  ", "two\nlines\t tab"), ("x" * 2000, "x" * 2000)])
def test_clean_text_accepts(value, expected):
    assert v.clean_text(value, "problem_statement") == expected


@pytest.mark.parametrize("value, kwargs, expected", [
    (["list"], {}, ("invalid_goal", "Goal must be text.")),
    ("esc \x1b[2J", {}, ("invalid_goal", "Goal contains control characters.")),
    ("x" * 2001, {}, ("goal_too_long", "Goal is 2001 characters; the limit is 2000.")),
    ("x" * 11, {"max_length": 10}, ("goal_too_long", "Goal is 11 characters; the limit is 10.")),
])
def test_clean_text_refuses(value, kwargs, expected):
    assert refusal(lambda: v.clean_text(value, "goal", **kwargs)) == expected


# --- stickies and themes --------------------------------------------------------------------------

@pytest.mark.parametrize("value, expected", [
    ("Ticket raised", None), ("tab\tand\nlines", None), ("x" * 2000, None), ("é \U0001f600", None),
    (None, ("invalid_text", "A sticky's text must be a string.")),
    ("x" * 2001, ("text_too_long", "A sticky holds at most 2000 characters; this has 2001.")),
    ("esc \x1b[2J bell \x07", ("invalid_text", "A sticky's text cannot contain control characters.")),
    ("nul \x00", ("invalid_text", "A sticky's text cannot contain control characters.")),
    (" \n\t ", ("empty_text", "A sticky needs some text (to remove one, delete it).")),
    ("lone \ud800", ("invalid_unicode", "The text holds characters that cannot be stored "
                                        "(an unpaired UTF-16 surrogate).")),
])
def test_sticky_text(value, expected):
    assert refusal(lambda: v.sticky_text(value)) == expected
    if expected is None:
        assert v.sticky_text(value) is value  # returned as given


@pytest.mark.parametrize("value, expected", [("ascii", True), ("é", True), ("\U0001f600", True),
                                             ("\ud800", False), ("a\udfffb", False)])
def test_storable(value, expected):
    assert v.storable(value) is expected


@pytest.mark.parametrize("value, expected", [
    ("  Environments \n take   weeks ", "Environments take weeks"), ("x" * 200, "x" * 200), (42, "42")])
def test_theme_title_accepts(value, expected):
    assert v.theme_title(value) == expected


@pytest.mark.parametrize("value, expected", [
    (None, ("invalid_title", "A theme title cannot be empty.")),
    (" \n ", ("invalid_title", "A theme title cannot be empty.")),
    ("x" * 201, ("invalid_title", "A theme title is at most 200 characters.")),
])
def test_theme_title_refuses(value, expected):
    assert refusal(lambda: v.theme_title(value)) == expected


# --- discoveries and workshops --------------------------------------------------------------------

@pytest.mark.parametrize("raw, expected", [
    (None, list(v.DEFAULT_STAGES)),
    ("  ", list(v.DEFAULT_STAGES)),
    ("Idea\nBuild", ["Idea", "Build"]),
    ("Idea, Build,,Run\n", ["Idea", "Build", "Run"]),
    (["Idea", " Build ", ""], ["Idea", "Build"]),
    (("a",) + tuple(f"s{i}" for i in range(11)), ["a"] + [f"s{i}" for i in range(11)]),
])
def test_stages_accepted(raw, expected):
    assert v.parse_stages(raw) == expected


@pytest.mark.parametrize("raw, expected", [
    (7, ("invalid_stages", "Stages must be a list of names.")),
    ("Idea", ("too_few_stages", "A timeline needs at least two stages.")),
    ([f"s{i}" for i in range(13)], ("too_many_stages", "A timeline has at most 12 stages.")),
    ("Build\nbuild", ("duplicate_stage", "The stage 'build' appears twice; each stage must be unique.")),
    (["Idea", "x" * 41], ("stage_too_long", "Stage is 41 characters; the limit is 40.")),
])
def test_stages_refused(raw, expected):
    assert refusal(lambda: v.parse_stages(raw)) == expected


def test_a_discovery_draft_fills_the_timeline_ends():
    draft = v.validate_discovery(" Path to prod ", " Slow ", " 2 weeks ", "A\nB")
    assert draft == v.DiscoveryDraft("Path to prod", "Slow", "2 weeks", ["A", "B"], v.DEFAULT_START_LABEL,
                                     v.DEFAULT_END_LABEL)
    assert v.validate_discovery("D", start_label="Go", end_label="Done").start_label == "Go"
    assert v.validate_discovery("D", start_label="Go", end_label="Done").end_label == "Done"
    assert refusal(lambda: v.validate_discovery("D", goal="x" * 1001)) == (
        "goal_too_long", "Goal is 1001 characters; the limit is 1000.")
    assert refusal(lambda: v.validate_discovery("D", problem="x" * 2001))[0] == "problem_statement_too_long"


@pytest.mark.parametrize("args, expected", [
    (("Payments",), v.WorkshopDraft("Payments", DEFAULT_TEMPLATE, None)),
    (("Payments", "postmortem", "2026-11-20"), v.WorkshopDraft("Payments", "postmortem", date(2026, 11, 20))),
    (("Payments", None, " 2026-11-20 "), v.WorkshopDraft("Payments", DEFAULT_TEMPLATE, date(2026, 11, 20))),
    (("Payments", "", ""), v.WorkshopDraft("Payments", DEFAULT_TEMPLATE, None)),
    (("Payments", None, date(2026, 1, 2)), v.WorkshopDraft("Payments", DEFAULT_TEMPLATE, date(2026, 1, 2))),
])
def test_a_workshop_draft(args, expected):
    assert v.validate_workshop(*args) == expected


@pytest.mark.parametrize("args, expected", [
    (("Payments", ["discovery"]), ("unknown_template", "Template must be text.")),
    (("Payments", "karaoke"), ("unknown_template", "Unknown template 'karaoke'; choose one of: "
                                                   + ", ".join(all_templates()) + ".")),
    (("Payments", None, "20/11/2026"), ("invalid_date", "'20/11/2026' is not a date (use YYYY-MM-DD).")),
    (("", None, None), ("missing_team", "Team is required.")),
])
def test_a_workshop_draft_refused(args, expected):
    assert refusal(lambda: v.validate_workshop(*args)) == expected


def test_several_refusals_read_as_one_message_and_list_each_field():
    from workshop.domain.errors import ValidationErrors
    both = ValidationErrors([ValidationError("missing_name", "Name is required."),
                             ValidationError("goal_too_long", "The goal is too long.")])
    assert (both.code, both.message) == ("missing_name", "Name is required. The goal is too long.")
    assert both.as_dict() == {"code": "missing_name", "message": "Name is required. The goal is too long.",
                              "errors": [{"code": "missing_name", "message": "Name is required."},
                                         {"code": "goal_too_long", "message": "The goal is too long."}]}


def test_a_form_with_several_wrong_fields_is_refused_for_all_of_them():
    from workshop.domain.errors import ValidationErrors
    with pytest.raises(ValidationErrors) as caught:
        v.validate_discovery("", goal="x" * 1001, stages="A\nA")
    assert [e.code for e in caught.value.errors] == ["missing_name", "goal_too_long", "duplicate_stage"]
    assert caught.value.code == "missing_name"  # the first, for clients that read one code
    assert caught.value.as_dict()["errors"][1]["code"] == "goal_too_long"
    with pytest.raises(ValidationErrors) as caught:
        v.validate_workshop("", "karaoke", "20/11/2026")
    assert [e.code for e in caught.value.errors] == ["missing_team", "unknown_template", "invalid_date"]
    with pytest.raises(ValidationErrors) as caught:
        v.validate_account("not-an-email", "", "short", "boss")
    assert [e.code for e in caught.value.errors] == ["invalid_email", "missing_name", "weak_password", "unknown_role"]
    # one wrong field: that field's own error, as before
    assert type(refusal_error(lambda: v.validate_workshop("", None, None))) is v.ValidationError


def refusal_error(call):
    try:
        call()
    except v.ValidationError as error:
        return error
    raise AssertionError("not refused")


# --- accounts -----------------------------------------------------------------------------------------

def test_an_account_is_checked_field_by_field():
    assert v.validate_account(" Ada@Example.COM ", " Ada ", "eight ch", "product_owner") == (
        "ada@example.com", "Ada", "eight ch", "product_owner")
    assert refusal(lambda: v.validate_account("ada@", "Ada", "long enough", "facilitator")) == (
        "invalid_email", "'ada@' is not an email address.")
    assert refusal(lambda: v.validate_account("a b@c.d", "Ada", "long enough", "facilitator"))[0] == "invalid_email"
    assert refusal(lambda: v.validate_account("a@b.c", "", "long enough", "facilitator"))[0] == "missing_name"
    assert refusal(lambda: v.validate_email("x" * 250 + "@b.cd"))[0] == "email_too_long"


@pytest.mark.parametrize("password, expected", [
    ("seven c", ("weak_password", "The password must have at least 8 characters.")),
    (None, ("weak_password", "The password must have at least 8 characters.")),
    ("x" * 1025, ("password_too_long", "The password is longer than 1024 characters.")),
    ("x" * 8, None), ("x" * 200, None), ("x" * 1024, None),
])
def test_the_password_rule(password, expected):
    assert refusal(lambda: v.validate_password(password)) == expected


@pytest.mark.parametrize("role, expected", [
    ("facilitator", None), ("product_owner", None),
    ("admin", ("unknown_role", "Unknown role 'admin'; choose facilitator or product_owner."))])
def test_roles(role, expected):
    assert refusal(lambda: v.validate_role(role)) == expected


def test_a_display_name_is_one_line_of_at_most_sixty():
    assert v.validate_display_name(" Gus ") == "Gus"
    assert v.validate_display_name("\u05d3\u05e0\u05d4 \u200fDana") == "\u05d3\u05e0\u05d4 \u200fDana"  # RTL marks are fine
    for spoof in ("Zo\u00eb \u202eevil\u202c", "Ann \u2066x\u2069", "\u202dBob"):  # overrides, isolates
        assert refusal(lambda spoof=spoof: v.validate_display_name(spoof)) == (
            "invalid_display_name", "Display name cannot hold text-direction control characters "
                                    "(they make it read as something else).")
    assert refusal(lambda: v.validate_display_name("x" * 61)) == (
        "display_name_too_long", "Display name is 61 characters; the limit is 60.")


# --- the board's grammar ------------------------------------------------------------------------------

def test_the_legend_follows_the_product_brief():
    legend = {k["key"]: k for k in kinds_as_dicts()}
    assert list(legend) == ["event", "pain", "system", "time", "team", "opportunity", "note"]
    assert {k: (d["label"], d["shape"]) for k, d in legend.items()} == {
        "event": ("Event", "square"), "pain": ("Pain point", "rotated"), "system": ("System", "wide"),
        "time": ("Time taken", "square"), "team": ("Team", "small"), "opportunity": ("Opportunity", "square"),
        "note": ("Note", "square")}
    assert {k for k, d in legend.items() if d["votable"]} == {"pain", "opportunity"} == set(THEMED_KINDS)
    assert {k for k, d in legend.items() if d["hasDuration"]} == {"time"}
    assert all(d["hint"] and d["colour"].startswith("#") and len(d["colour"]) == 7 for d in legend.values())
    assert len({d["colour"] for d in legend.values()}) == len(legend)  # every kind its own colour
    assert legend["note"]["colour"] == "#ffffff"
    assert [k.key for k in KINDS] == list(KINDS_BY_KEY)


@pytest.mark.parametrize("name, key", [
    ("Hotspot", "pain"), ("  pain_point ", "pain"), ("PAIN   POINTS", "pain"), ("Technology", "system"),
    ("time taken", "time"), ("Lead time", "time"), ("idea", "opportunity"), ("deep-dive", "note"),
    ("Event", "event"), ("people", "team"), ("Pain point", "pain"), ("orange", "event")])
def test_kinds_as_people_write_them(name, key):
    assert kind_from_name(name) == key


def test_an_unknown_kind_names_the_known_ones():
    assert refusal(lambda: kind_from_name("gossip")) == (
        "unknown_kind", "Unknown sticky kind 'gossip'; use one of: event, pain, system, time, team, opportunity, note.")


# --- templates ----------------------------------------------------------------------------------------

def test_every_template_starts_in_set_up_votes_once_and_ends_read_only():
    for key, template in all_templates().items():
        assert template.key == key and template.label and template.description
        assert template.first_phase is template.phases[0] and not template.first_phase.kinds
        assert [p.key for p in template.phases if p.readonly] == [template.phases[-1].key], key
        assert sum(p.voting for p in template.phases) == 1, key
        assert all(set(p.kinds) <= set(KINDS_BY_KEY) and p.instruction for p in template.phases)


def test_the_discovery_template_as_the_board_receives_it():
    template = get_template(DEFAULT_TEMPLATE)
    data = template.as_dict()
    assert (data["key"], data["label"]) == ("discovery", "Discovery Event Storming")
    assert data["description"] == template.description
    assert [p["key"] for p in data["phases"]] == [p.key for p in template.phases]
    map_phase = next(p for p in data["phases"] if p["key"] == "map")
    assert map_phase == {"key": "map", "label": "Map the journey", "kinds": ["event"],
                         "instruction": template.phase("map").instruction, "voting": False, "readonly": False}
    assert next(p for p in data["phases"] if p["voting"])["key"] == "vote"
    assert next(p for p in data["phases"] if p["readonly"])["key"] == "wrapup"


def test_timeline_ends_are_the_discoverys_only_for_a_discovery_workshop():
    assert get_template("discovery").timeline_ends("Idea", "Live") == ("Idea", "Live")
    postmortem = get_template("postmortem")
    assert postmortem.timeline_ends("Idea", "Live") == (postmortem.start_label, postmortem.end_label)
    assert postmortem.start_label != "Idea"


def test_unknown_templates_and_phases_are_refused_by_name():
    assert refusal(lambda: get_template("karaoke")) == (
        "unknown_template", "Unknown template 'karaoke'; choose one of: " + ", ".join(all_templates()) + ".")
    assert refusal(lambda: get_template("discovery").phase("dance")) == (
        "unknown_phase", "The Discovery Event Storming template has no phase 'dance'.")


# --- permissions ---------------------------------------------------------------------------------------

FAC, PO, ADMIN_PO = Account(1, "facilitator", False), Account(2, "product_owner", False), Account(3, "product_owner", True)


@pytest.mark.parametrize("account, members, create, manage, read", [
    (FAC, {1}, True, True, True),
    (FAC, set(), True, False, False),
    (PO, {2}, False, False, True),
    (PO, set(), False, False, False),
    (ADMIN_PO, set(), True, True, True),
])
def test_who_may_do_what(account, members, create, manage, read):
    assert can_create_discovery(account) is create
    assert can_manage_discovery(account, members) is manage
    assert can_read_backlog(account, members) is read


def test_require_refuses_with_its_message():
    require(True)
    with pytest.raises(Forbidden) as refused:
        require(False)
    assert (refused.value.code, refused.value.message, refused.value.status) == (
        "forbidden", "You are not allowed to do that.", 403)
    assert refusal(lambda: require(False, "Only facilitators.")) == ("forbidden", "Only facilitators.")
    assert isinstance(ValidationError("x", "y"), DomainError)


def test_each_refusal_has_its_status_and_plain_form():
    from workshop.domain.errors import Conflict, NotFound
    assert [cls("c", "m").status for cls in (DomainError, ValidationError, NotFound, Forbidden, Conflict)] == \
        [400, 400, 404, 403, 409]
    error = NotFound("unknown_sticky", "That sticky does not exist.")
    assert error.as_dict() == {"code": "unknown_sticky", "message": "That sticky does not exist."}
    assert str(error) == "That sticky does not exist."


def test_a_discovery_with_only_a_name_gets_the_defaults():
    assert v.validate_discovery("D") == v.DiscoveryDraft("D", "", "", list(v.DEFAULT_STAGES), "Project starts",
                                                         "Live in production with users")


@pytest.mark.parametrize("fields, expected", [
    ({"name": ""}, ("missing_name", "Name is required.")),
    ({"name": "x" * 121}, ("name_too_long", "Name is 121 characters; the limit is 120.")),
    ({"problem": "bell \x07"}, ("invalid_problem_statement", "Problem statement contains control characters.")),
    ({"goal": "bell \x07"}, ("invalid_goal", "Goal contains control characters.")),
    ({"stages": "one"}, ("too_few_stages", "A timeline needs at least two stages.")),
    ({"start_label": "a\nb"}, ("invalid_start_label", "Start label must be one line without control characters.")),
    ({"end_label": "a\nb"}, ("invalid_end_label", "End label must be one line without control characters.")),
    ({"start_label": "x" * 121}, ("start_label_too_long", "Start label is 121 characters; the limit is 120.")),
    ({"end_label": "x" * 121}, ("end_label_too_long", "End label is 121 characters; the limit is 120.")),
])
def test_a_discovery_refusal_names_its_field(fields, expected):
    assert refusal(lambda: v.validate_discovery(**{"name": "D", **fields})) == expected


def test_an_email_may_be_as_long_as_the_standard_allows():
    long = "x" * 240 + "@example.com"  # 252 characters
    assert v.validate_email(long) == long
    assert refusal(lambda: v.validate_email("x" * 243 + "@example.com")) == (
        "email_too_long", "Email is 255 characters; the limit is 254.")
    assert refusal(lambda: v.validate_workshop("x" * 121)) == ("team_too_long", "Team is 121 characters; the limit is 120.")


def test_field_names_read_as_words_in_every_message():
    assert refusal(lambda: v.clean_line(3, "start_label")) == ("invalid_start_label", "Start label must be text.")
    assert refusal(lambda: v.clean_text(3, "problem_statement")) == (
        "invalid_problem_statement", "Problem statement must be text.")
    assert refusal(lambda: v.clean_text("x" * 11, "problem_statement", max_length=10)) == (
        "problem_statement_too_long", "Problem statement is 11 characters; the limit is 10.")
    assert refusal(lambda: v.clean_text("bell \x07", "problem_statement")) == (
        "invalid_problem_statement", "Problem statement contains control characters.")
    assert v.clean_text("a\tb", "problem_statement") == "a\tb"


@pytest.mark.parametrize("title", ["a\u0000b", "bell\x07", "esc \x1b[31m", "del\x7f", "unit\x1fsep",
                                   "flip \u202eevil", "vt\x0bx"])
def test_a_theme_title_refuses_control_characters_like_sticky_text_and_names(title):
    """Issue 23, item 5: `title=a\\u0000b` was stored. The same rule as a sticky's text and a name."""
    from workshop.domain.validation import has_control_characters, theme_title
    with pytest.raises(ValidationError) as refused:
        theme_title(title)
    assert refused.value.code == "invalid_title"
    assert has_control_characters(title, direction=True)


def test_a_theme_title_still_folds_line_breaks_and_tabs_into_spaces():
    from workshop.domain.validation import theme_title
    assert theme_title("  Slow\n firewall\tchanges  ") == "Slow firewall changes"


@pytest.mark.parametrize("active, role, is_admin, member, keeps", [
    (True, "facilitator", False, True, True),
    (False, "facilitator", False, True, False),       # deactivated
    (True, "product_owner", False, True, False),      # demoted
    (True, "facilitator", False, False, False),       # removed from the discovery
    (True, "product_owner", True, False, True),       # an admin runs any discovery
])
def test_the_one_rule_for_an_accounts_board_seat(active, role, is_admin, member, keeps):
    """Issue 23, items 1-2 (ADR 0019): a seat holds while its owner is active and may run the discovery."""
    from workshop.domain.permissions import keeps_board_seat
    assert keeps_board_seat(active, Account(7, role, is_admin), {7} if member else set()) is keeps
