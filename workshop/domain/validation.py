"""Input rules shared by every adapter (forms, JSON, CLI, sockets): one place, one message each."""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from .errors import ValidationError, ValidationErrors
from .templates import DEFAULT_TEMPLATE, get_template

DEFAULT_STAGES = ("Idea", "Plan", "Build", "Test", "Release", "Operate")
DEFAULT_START_LABEL = "Project starts"
DEFAULT_END_LABEL = "Live in production with users"

NAME_MAX = 120
TEXT_MAX = 2000  # a sticky's text, a problem statement
STAGE_MAX = 40
MAX_STAGES = 12
# Control characters no text may hold (tab, line feed and carriage return are allowed where a text
# may span lines): they garble pages and terminals, and a workbook cannot store them.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Text-direction overrides, embeddings and isolates: in a name they make it read as something else
# ("Zoë \u202eevil" shows as "Zoë live"); a name never needs them (the marks U+200E/U+200F stay).
BIDI_CONTROL = re.compile("[\u202a-\u202e\u2066-\u2069]")


def has_control_characters(text: str, *, direction: bool = False) -> bool:
    """The one rule for characters nobody types, for every text a person gives (a sticky's text, a
    name, a form's free text, a theme's title): C0 controls other than tab and line breaks (NUL
    included) and DEL; with `direction`, in anything shown on one line, text-direction overrides too."""
    return bool(CONTROL.search(text) or (direction and BIDI_CONTROL.search(text)))


THEME_TITLE_MAX = 200  # a backlog theme's title (the aggregation proposes shorter ones)


def theme_title(value: object) -> str:
    """A theme's title as a person gives it: one line (runs of spaces and line breaks become one
    space), not empty, at most THEME_TITLE_MAX characters, without control characters (the same
    rule as a sticky's text and a name: `has_control_characters`)."""
    text = value if isinstance(value, str) else str(value or "")
    if has_control_characters(text, direction=True):
        raise ValidationError("invalid_title", "A theme title cannot contain control characters.")
    if not storable(text):
        raise ValidationError("invalid_unicode", "The title holds characters that cannot be stored "
                                                 "(an unpaired UTF-16 surrogate).")
    clean = " ".join(text.split())
    if not clean:
        raise ValidationError("invalid_title", "A theme title cannot be empty.")
    if len(clean) > THEME_TITLE_MAX:
        raise ValidationError("invalid_title", f"A theme title is at most {THEME_TITLE_MAX} characters.")
    return clean


def storable(value: str) -> bool:
    """Whether the database can store `value` and every client can receive it: valid UTF-8, so no
    unpaired UTF-16 surrogate (which JSON's \\ud800 escape can carry). NUL and the other control
    characters are the text rules' business (`invalid_text`); ids allow neither."""
    if value.isascii():
        return True
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def sticky_text(value: object) -> str:
    """The one rule for a sticky's text, wherever it comes from (the board, the importer, a form):
    a string of at most TEXT_MAX characters, not only spaces, without control characters (tabs and
    line breaks are fine). Returned as given."""
    if not isinstance(value, str):
        raise ValidationError("invalid_text", "A sticky's text must be a string.")
    if not storable(value):
        raise ValidationError("invalid_unicode", "The text holds characters that cannot be stored "
                                                 "(an unpaired UTF-16 surrogate).")
    if len(value) > TEXT_MAX:
        raise ValidationError("text_too_long", f"A sticky holds at most {TEXT_MAX} characters; this has {len(value)}.")
    if has_control_characters(value):
        raise ValidationError("invalid_text", "A sticky's text cannot contain control characters.")
    if not value.strip():
        raise ValidationError("empty_text", "A sticky needs some text (to remove one, delete it).")
    return value


def clean_line(value: object, field: str, *, max_length: int = NAME_MAX, required: bool = True) -> str:
    """A one-line name: trimmed, no control characters, within its length."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ValidationError(f"invalid_{field}", f"{field.replace('_', ' ').capitalize()} must be text.")
    text = unicodedata.normalize("NFC", value).strip()
    if has_control_characters(text) or "\n" in text or "\r" in text:
        raise ValidationError(f"invalid_{field}",
                              f"{field.replace('_', ' ').capitalize()} must be one line without control characters.")
    if has_control_characters(text, direction=True):
        raise ValidationError(f"invalid_{field}",
                              f"{field.replace('_', ' ').capitalize()} cannot hold text-direction control characters "
                              "(they make it read as something else).")
    if required and not text:
        raise ValidationError(f"missing_{field}", f"{field.replace('_', ' ').capitalize()} is required.")
    if len(text) > max_length:
        raise ValidationError(f"{field}_too_long",
                              f"{field.replace('_', ' ').capitalize()} is {len(text)} characters; the limit is {max_length}.")
    return text


def clean_text(value: object, field: str, *, max_length: int = TEXT_MAX) -> str:
    """Free text (may span lines): control characters other than newline and tab are refused."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ValidationError(f"invalid_{field}", f"{field.replace('_', ' ').capitalize()} must be text.")
    text = value.replace("\r\n", "\n").strip()
    if has_control_characters(text):  # (tab, line feed and carriage return are not in CONTROL)
        raise ValidationError(f"invalid_{field}",
                              f"{field.replace('_', ' ').capitalize()} contains control characters.")
    if len(text) > max_length:
        raise ValidationError(f"{field}_too_long",
                              f"{field.replace('_', ' ').capitalize()} is {len(text)} characters; the limit is {max_length}.")
    return text


def parse_stages(raw: object) -> list[str]:
    """Stages as a list or as text, one per line or comma-separated; ordered, unique, 2..12 of them."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return list(DEFAULT_STAGES)
    if isinstance(raw, str):
        parts = re.split(r"[\n,]", raw)
    elif isinstance(raw, (list, tuple)):
        parts = list(raw)
    else:
        raise ValidationError("invalid_stages", "Stages must be a list of names.")
    stages = [clean_line(p, "stage", max_length=STAGE_MAX, required=False) for p in parts]
    stages = [s for s in stages if s]
    if len(stages) < 2:
        raise ValidationError("too_few_stages", "A timeline needs at least two stages.")
    if len(stages) > MAX_STAGES:
        raise ValidationError("too_many_stages", f"A timeline has at most {MAX_STAGES} stages.")
    seen: set[str] = set()
    for stage in stages:
        if stage.casefold() in seen:
            raise ValidationError("duplicate_stage", f"The stage {stage!r} appears twice; each stage must be unique.")
        seen.add(stage.casefold())
    return stages


@dataclass(frozen=True)
class DiscoveryDraft:
    name: str
    problem: str
    goal: str
    stages: list[str]
    start_label: str
    end_label: str


def every_field(**checks: Callable[[], object]) -> dict[str, object]:
    """Run every field's check and return their values, or refuse with *all* the fields that are
    wrong (one ValidationError as it is, several as ValidationErrors), not only the first."""
    values: dict[str, object] = {}
    errors: list[ValidationError] = []
    for name, check in checks.items():
        try:
            values[name] = check()
        except ValidationError as error:
            errors.append(error)
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise ValidationErrors(errors)
    return values


def validate_discovery(name, problem="", goal="", stages=None, start_label="", end_label="") -> DiscoveryDraft:
    values = every_field(
        name=lambda: clean_line(name, "name"),
        problem=lambda: clean_text(problem, "problem_statement"),
        goal=lambda: clean_text(goal, "goal", max_length=1000),
        stages=lambda: parse_stages(stages),
        start_label=lambda: clean_line(start_label, "start_label", required=False) or DEFAULT_START_LABEL,
        end_label=lambda: clean_line(end_label, "end_label", required=False) or DEFAULT_END_LABEL,
    )
    return DiscoveryDraft(**values)


@dataclass(frozen=True)
class WorkshopDraft:
    team: str
    template: str
    held_on: date | None


def _template_key(template) -> str:
    template_key = (template or DEFAULT_TEMPLATE)
    if not isinstance(template_key, str):
        raise ValidationError("unknown_template", "Template must be text.")
    get_template(template_key)
    return template_key


def parse_day(held_on) -> date | None:
    """A day as people type it, YYYY-MM-DD (surrounding spaces aside), a date, or None for none."""
    if held_on in (None, ""):
        return None
    if isinstance(held_on, date):
        return held_on
    try:
        return date.fromisoformat(str(held_on).strip())
    except ValueError:
        raise ValidationError("invalid_date", f"{held_on!r} is not a date (use YYYY-MM-DD).") from None


def validate_workshop(team, template=None, held_on=None) -> WorkshopDraft:
    values = every_field(team=lambda: clean_line(team, "team"), template=lambda: _template_key(template),
                         held_on=lambda: parse_day(held_on))
    return WorkshopDraft(**values)


EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
ROLES = ("facilitator", "product_owner")
ROLE_LABELS = {"facilitator": "Facilitator", "product_owner": "Product owner"}


def validate_email(email) -> str:
    email_clean = clean_line(email, "email", max_length=254).lower()
    if not EMAIL_RE.match(email_clean):
        raise ValidationError("invalid_email", f"{email_clean!r} is not an email address.")
    return email_clean


def validate_account(email, name, password, role) -> tuple[str, str, str, str]:
    values = every_field(email=lambda: validate_email(email), name=lambda: clean_line(name, "name"),
                         password=lambda: validate_password(password), role=lambda: validate_role(role))
    return values["email"], values["name"], values["password"], values["role"]


PASSWORD_MIN = 8
#: Long enough for any passphrase or password manager; no form cuts a password short (a browser's
#: maxlength silently truncated a pasted 250-character one, which then never matched at sign-in).
PASSWORD_MAX = 1024
#: The rule as the forms show it, before anyone submits.
PASSWORD_RULE = f"At least {PASSWORD_MIN} characters (a few words are easy to remember)."


def validate_password(password) -> str:
    """The one password rule, for new accounts, resets and changes alike."""
    if not isinstance(password, str) or len(password) < PASSWORD_MIN:
        raise ValidationError("weak_password", "The password must have at least 8 characters.")
    if len(password) > PASSWORD_MAX:
        raise ValidationError("password_too_long", f"The password is longer than {PASSWORD_MAX} characters.")
    return password


def validate_role(role) -> str:
    if role not in ROLES:
        raise ValidationError("unknown_role", f"Unknown role {role!r}; choose facilitator or product_owner.")
    return role


def validate_display_name(name) -> str:
    return clean_line(name, "display_name", max_length=60)
