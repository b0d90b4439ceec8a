"""Pure rules for contact details: phones, emails, usernames, tags, one-message capture.

Error messages never contain the offending text (customer data stays out of logs); the text
is kept on the exception for the reply to the user.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

import phonenumbers
from email_validator import EmailNotValidError, validate_email

__all__ = [
    "CaptureError",
    "CaptureParts",
    "CaptureProblem",
    "InvalidEmail",
    "InvalidPhone",
    "format_phone",
    "looks_like_email",
    "looks_like_phone",
    "normalize_email",
    "normalize_phone",
    "normalize_tag",
    "normalize_username",
    "parse_capture",
    "phone_digits",
]

_MIN_PHONE_DIGITS = 5
_PHONE_DIGIT_SHARE = 0.6
_USERNAME_RE = re.compile(r"[a-z][a-z0-9_]{4,31}")
# t.me links may come with a scheme, 'www.' or the older telegram.me domain, and a trailing
# slash or query string (e.g. '?start=x'); anything with a further path is not a profile link.
_TME_RE = re.compile(
    r"(?:https?://)?(?:www\.)?(?:t|telegram)\.me/([^/?#\s]+)/?(?:[?#]\S*)?", re.IGNORECASE
)
_CAPTURE_SEPARATORS = re.compile(r"[,，、;；]")
_SPACES = re.compile(r"\s+")
_TAG_JUNK = re.compile(r"[^\w]+")


class InvalidPhone(ValueError):
    """The text is not a valid phone number (for the region, when it has no country code)."""

    def __init__(self, text: str) -> None:
        super().__init__("invalid phone number")
        self.text = text


class InvalidEmail(ValueError):
    """The text is not a valid email address."""

    def __init__(self, text: str) -> None:
        super().__init__("invalid email address")
        self.text = text


def normalize_phone(text: str, default_region: str) -> str:
    """Parse a phone in any common format and return it in E.164; raise InvalidPhone."""
    try:
        number = phonenumbers.parse(text, default_region.upper() or None)
    except phonenumbers.NumberParseException as error:
        raise InvalidPhone(text) from error
    # is_possible_number only checks the length; a real numbering-plan match is required so
    # that typos such as a missing digit are caught at capture time.
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhone(text)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def format_phone(e164: str) -> str:
    """An E.164 number in international format for display; unparseable text is returned as is."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        # Display must never fail on a stored value, even one saved before validation existed.
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def normalize_email(text: str) -> str:
    """Validate an email address (syntax only, no DNS) and return its normalised form."""
    try:
        return validate_email(text.strip(), check_deliverability=False).normalized
    except EmailNotValidError as error:
        raise InvalidEmail(text) from error


def looks_like_phone(part: str) -> bool:
    """Whether a fragment is shaped like a phone: 5+ digits making 60%+ of its characters."""
    if "@" in part:
        return False
    compact = "".join(part.split())
    digits = sum(1 for char in compact if char.isdecimal())
    return digits >= _MIN_PHONE_DIGITS and digits >= _PHONE_DIGIT_SHARE * len(compact)


def looks_like_email(part: str) -> bool:
    """Whether a fragment is meant as an email address (it contains '@')."""
    return "@" in part


def phone_digits(text: str) -> str:
    """Only the digits of a text, as ASCII: '138-0013' -> '1380013'."""
    # str(int(char)) maps any Unicode decimal digit (e.g. full-width '１') to ASCII.
    return "".join(str(int(char)) for char in text if char.isdecimal())


def normalize_username(text: str) -> str | None:
    """'@Name', 'name', 't.me/name' or 'https://t.me/name' -> 'name'; None when not valid."""
    candidate = unicodedata.normalize("NFKC", text).strip()
    link = _TME_RE.fullmatch(candidate)
    if link:
        candidate = link.group(1)
    elif candidate.startswith("@"):
        candidate = candidate[1:]
    candidate = candidate.lower()
    if not candidate.isascii() or not _USERNAME_RE.fullmatch(candidate):
        return None
    return candidate


def normalize_tag(text: str) -> str | None:
    """'#VIP ' -> 'vip'; other than letters and digits (CJK included) become '_'; None if empty."""
    cleaned = unicodedata.normalize("NFKC", text).casefold().strip().lstrip("#")
    tag = _TAG_JUNK.sub("_", cleaned).strip("_")
    return tag or None


@dataclass(frozen=True)
class CaptureParts:
    """The fields recognised in a one-message capture."""

    name: str
    company: str | None
    phones: tuple[str, ...]
    emails: tuple[str, ...]
    username: str | None
    extra: tuple[str, ...]


@dataclass(frozen=True)
class CaptureProblem:
    """One field of a capture that could not be accepted, with the text as typed."""

    field: Literal["name", "phone", "email"]
    text: str


class CaptureError(ValueError):
    """A capture has a missing name or invalid phones/emails; every problem is listed."""

    def __init__(self, problems: list[CaptureProblem]) -> None:
        super().__init__(f"{len(problems)} problem(s) in the capture")
        self.problems = problems


def _is_username_form(part: str) -> bool:
    # An '@handle' is a username only without a domain, otherwise it is a (bad) email.
    if part.startswith("@"):
        return "@" not in part[1:] and "." not in part and normalize_username(part) is not None
    return _TME_RE.fullmatch(part) is not None and normalize_username(part) is not None


def parse_capture(text: str, default_region: str) -> CaptureParts:
    """Split 'Name, Company, phone, email, @user' into fields; raise CaptureError on problems."""
    parts = [_SPACES.sub(" ", part).strip() for part in _CAPTURE_SEPARATORS.split(text)]
    name, rest = parts[0], [part for part in parts[1:] if part]
    problems: list[CaptureProblem] = []
    if not name or looks_like_phone(name) or looks_like_email(name):
        problems.append(CaptureProblem("name", name))

    phones: dict[str, None] = {}  # dicts keep insertion order: de-duplicated, order kept
    emails: dict[str, str] = {}  # casefolded -> first spelling seen
    username: str | None = None
    others: list[str] = []
    spare_handles: list[str] = []  # a second username is kept, but is never the company
    for part in rest:
        if _is_username_form(part):
            handle = normalize_username(part)
            if username is None:
                username = handle
            elif handle != username:
                spare_handles.append(part)
        elif looks_like_email(part):
            try:
                email = normalize_email(part)
            except InvalidEmail:
                problems.append(CaptureProblem("email", part))
            else:
                emails.setdefault(email.casefold(), email)
        elif looks_like_phone(part):
            try:
                phones[normalize_phone(part, default_region)] = None
            except InvalidPhone:
                problems.append(CaptureProblem("phone", part))
        else:
            others.append(part)

    if problems:
        raise CaptureError(problems)
    return CaptureParts(
        name=name,
        company=others[0] if others else None,
        phones=tuple(phones),
        emails=tuple(emails.values()),
        username=username,
        extra=(*others[1:], *spare_handles),
    )
