"""Phones, emails, usernames, tags and the one-message capture."""

from __future__ import annotations

import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.contacts import (
    CaptureError,
    CaptureParts,
    CaptureProblem,
    InvalidEmail,
    InvalidPhone,
    format_phone,
    looks_like_email,
    looks_like_phone,
    normalize_email,
    normalize_phone,
    normalize_tag,
    normalize_username,
    parse_capture,
    phone_digits,
)

REGIONS = ["CN", "DE", "US", "GB", "FR", "JP", "SG", "HK", "RU", "IN", "BR", "AU"]
STYLES = [
    phonenumbers.PhoneNumberFormat.E164,
    phonenumbers.PhoneNumberFormat.INTERNATIONAL,
    phonenumbers.PhoneNumberFormat.NATIONAL,
    phonenumbers.PhoneNumberFormat.RFC3966,
]


@st.composite
def typed_phones(draw: st.DrawFn) -> tuple[str, str, str]:
    """(text as a person may type it, its region, the expected E.164)."""
    region = draw(st.sampled_from(REGIONS))
    kind = draw(
        st.sampled_from(
            [phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE]
        )
    )
    number = phonenumbers.example_number_for_type(region, kind)
    assert number is not None
    text = phonenumbers.format_number(number, draw(st.sampled_from(STYLES)))
    text = text.replace(" ", draw(st.sampled_from([" ", "-", ".", "  ", ""])))
    expected = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return text, region, expected


# --- phones --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "region", "expected"),
    [
        ("+86 138 0013 8000", "CN", "+8613800138000"),
        ("138 0013 8000", "CN", "+8613800138000"),
        ("13800138000", "cn", "+8613800138000"),  # the region's case does not matter
        ("138-0013-8000", "CN", "+8613800138000"),
        ("１３８００１３８０００", "CN", "+8613800138000"),  # full-width digits
        ("＋86 13800138000", "DE", "+8613800138000"),  # a country code beats the region
        ("010-6552-9988", "CN", "+861065529988"),
        ("030 1234567", "DE", "+49301234567"),
        ("+1 (650) 253-0000", "CN", "+16502530000"),
        ("tel:+49-30-1234567", "CN", "+49301234567"),
    ],
)
def test_normalize_phone(text: str, region: str, expected: str) -> None:
    assert normalize_phone(text, region) == expected


@pytest.mark.parametrize(
    ("text", "region"),
    [
        ("12345", "CN"),  # possible length somewhere, but no valid number
        ("138 0013 800", "CN"),  # a digit missing
        ("+86 138 0013 80000", "CN"),  # a digit too many
        ("hello", "CN"),
        ("", "CN"),
        ("13800138000", ""),  # no country code and no region
        ("13800138000", "ZZ"),
        ("+999 123 456 789", "CN"),
        ("1" * 300, "CN"),
    ],
)
def test_normalize_phone_rejects(text: str, region: str) -> None:
    with pytest.raises(InvalidPhone) as caught:
        normalize_phone(text, region)
    assert caught.value.text == text
    assert text not in str(caught.value) or not text  # no customer data in the message


def test_format_phone() -> None:
    assert format_phone("+8613800138000") == "+86 138 0013 8000"
    assert format_phone("+49301234567") == "+49 30 1234567"
    assert format_phone("not a number") == "not a number"


@settings(max_examples=60, deadline=None)
@given(typed_phones())
def test_normalize_phone_properties(case: tuple[str, str, str]) -> None:
    text, region, expected = case
    e164 = normalize_phone(text, region)
    assert e164 == expected
    other_region = "US" if region != "US" else "CN"
    assert normalize_phone(e164, other_region) == e164  # idempotent, whatever the region
    assert normalize_phone(format_phone(e164), other_region) == e164  # display round-trips


@settings(max_examples=60, deadline=None)
@given(st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True))
def test_normalize_phone_is_idempotent_on_any_output(text: str) -> None:
    try:
        e164 = normalize_phone(text, "CN")
    except InvalidPhone:
        return
    assert e164.startswith("+86")
    assert normalize_phone(e164, "CN") == e164
    assert normalize_phone(format_phone(e164), "DE") == e164


def test_phone_digits() -> None:
    assert phone_digits("138-0013") == "1380013"
    assert phone_digits("+86 (138) 0013.8000") == "8613800138000"
    assert phone_digits("１３８") == "138"
    assert phone_digits("no digits") == ""


@pytest.mark.parametrize(
    ("part", "expected"),
    [
        ("+86 138 0013 8000", True),
        ("138-0013-8000", True),
        ("(010) 6552.9988", True),
        ("12345", True),
        ("1234", False),  # too few digits
        ("Room 12345", False),  # digits are less than 60%
        ("Acme", False),
        ("a1234567@b.cn", False),  # an email, even if mostly digits
        ("", False),
        ("tel 13800138000", True),
    ],
)
def test_looks_like_phone(part: str, expected: bool) -> None:
    assert looks_like_phone(part) is expected


# --- emails --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a@b.cn", "a@b.cn"),
        ("Zhang.Wei@Example.COM", "Zhang.Wei@example.com"),  # the domain is lower-cased
        ("  a@b.cn ", "a@b.cn"),
        ("张伟@例子.中国", "张伟@例子.中国"),
    ],
)
def test_normalize_email(text: str, expected: str) -> None:
    assert normalize_email(text) == expected


@pytest.mark.parametrize("text", ["a@b", "x@@y.com", "@b.cn", "a@", "plain", "", "a b@c.cn"])
def test_normalize_email_rejects(text: str) -> None:
    with pytest.raises(InvalidEmail) as caught:
        normalize_email(text)
    assert caught.value.text == text


def test_looks_like_email() -> None:
    assert looks_like_email("a@b.cn")
    assert looks_like_email("bad@")
    assert not looks_like_email("Acme")


# --- usernames and tags --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("@Zhang_Wei", "zhang_wei"),
        ("zhang_wei", "zhang_wei"),
        ("t.me/zhang_wei", "zhang_wei"),
        ("https://t.me/zhang_wei", "zhang_wei"),
        ("http://telegram.me/Zhang_Wei/", "zhang_wei"),
        ("https://t.me/zhang_wei?start=x", "zhang_wei"),
        (" @abcde ", "abcde"),
        ("@abcd", None),  # too short
        ("@" + "a" * 33, None),  # too long
        ("@" + "a" * 32, "a" * 32),
        ("@1abcde", None),  # starts with a digit
        ("@_abcde", None),
        ("@zhang-wei", None),
        ("@zhäng_wei", None),
        ("t.me/joinchat/abcdef", None),
        ("https://t.me/+AbCdEf123", None),
        ("", None),
        ("@", None),
    ],
)
def test_normalize_username(text: str, expected: str | None) -> None:
    assert normalize_username(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("#VIP ", "vip"),
        ("vip", "vip"),
        ("＃ＶＩＰ", "vip"),
        ("#重要客户", "重要客户"),
        ("#big client!", "big_client"),
        ("##a-b", "a_b"),
        ("  ", None),
        ("#", None),
        ("#!!!", None),
    ],
)
def test_normalize_tag(text: str, expected: str | None) -> None:
    assert normalize_tag(text) == expected


@given(st.text(max_size=30))
def test_normalize_tag_is_idempotent(text: str) -> None:
    tag = normalize_tag(text)
    if tag is not None:
        assert normalize_tag(tag) == tag
        assert tag == tag.strip() and not tag.startswith("#")


# --- one-message capture -------------------------------------------------------------------


def test_capture_of_the_documented_example() -> None:
    assert parse_capture("Zhang Wei, Acme, +86 138 0013 8000, a@b.cn", "CN") == CaptureParts(
        name="Zhang Wei",
        company="Acme",
        phones=("+8613800138000",),
        emails=("a@b.cn",),
        username=None,
        extra=(),
    )


def test_capture_in_any_order_with_chinese_separators() -> None:
    parts = parse_capture("张伟，zw@qq.com、@Zhang_Wei；13800138000; 腾讯，深圳, VIP", "CN")
    assert parts.name == "张伟"
    assert parts.company == "腾讯"
    assert parts.phones == ("+8613800138000",)
    assert parts.emails == ("zw@qq.com",)
    assert parts.username == "zhang_wei"
    assert parts.extra == ("深圳", "VIP")


def test_capture_name_only() -> None:
    parts = parse_capture("  Zhang   Wei  ", "CN")
    assert parts == CaptureParts("Zhang Wei", None, (), (), None, ())


def test_capture_deduplicates_and_keeps_order() -> None:
    parts = parse_capture(
        "Wang, 13900139000, 13800138000, +86 139 0013 9000, B@x.cn, a@y.cn, b@X.cn,", "CN"
    )
    assert parts.phones == ("+8613900139000", "+8613800138000")
    assert parts.emails == ("B@x.cn", "a@y.cn")
    assert parts.company is None


def test_capture_local_numbers_use_the_region() -> None:
    assert parse_capture("Hans, 030 1234567", "DE").phones == ("+49301234567",)
    with pytest.raises(CaptureError):
        parse_capture("Hans, 030 1234567", "CN")


def test_capture_t_me_links() -> None:
    parts = parse_capture("Li Na, https://t.me/li_na_88, t.me/other_one, Acme", "CN")
    assert parts.username == "li_na_88"
    assert parts.company == "Acme"  # a second username is never taken for the company
    assert parts.extra == ("t.me/other_one",)


def test_capture_lists_every_problem() -> None:
    with pytest.raises(CaptureError) as caught:
        parse_capture("Zhang, 138 0013 800, bad@, Acme, x@y, 12345, ok@z.cn", "CN")
    assert caught.value.problems == [
        CaptureProblem("phone", "138 0013 800"),
        CaptureProblem("email", "bad@"),
        CaptureProblem("email", "x@y"),
        CaptureProblem("phone", "12345"),
    ]
    assert "138" not in str(caught.value)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", CaptureProblem("name", "")),
        ("   ", CaptureProblem("name", "")),
        (", Acme", CaptureProblem("name", "")),
        ("13800138000, Acme", CaptureProblem("name", "13800138000")),
        ("a@b.cn, Acme", CaptureProblem("name", "a@b.cn")),
    ],
)
def test_capture_needs_a_name(text: str, problem: CaptureProblem) -> None:
    with pytest.raises(CaptureError) as caught:
        parse_capture(text, "CN")
    assert caught.value.problems == [problem]


def test_capture_reports_name_and_field_problems_together() -> None:
    with pytest.raises(CaptureError) as caught:
        parse_capture(", 123456, bad@", "CN")
    assert [p.field for p in caught.value.problems] == ["name", "phone", "email"]


def test_capture_short_handle_is_a_bad_email() -> None:
    # '@ab' is neither a valid username nor an email; it is refused rather than dropped.
    with pytest.raises(CaptureError) as caught:
        parse_capture("Bob, @ab", "CN")
    assert caught.value.problems == [CaptureProblem("email", "@ab")]


_PARTS = st.one_of(
    st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True),
    st.from_regex(r"\+?[0-9 ()\-]{5,16}", fullmatch=True),
    st.from_regex(r"[a-z]{1,6}@[a-z]{1,6}(\.[a-z]{2,3})?", fullmatch=True),
    st.from_regex(r"@[A-Za-z_][A-Za-z0-9_]{2,8}", fullmatch=True),
    st.text(alphabet=st.characters(blacklist_characters=",，、;；"), max_size=12),
)


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet="ABC 张伟", min_size=1, max_size=8), st.lists(_PARTS, max_size=6))
def test_capture_never_returns_an_invalid_phone_or_email(name: str, parts: list[str]) -> None:
    text = ", ".join([name, *parts])
    result: CaptureParts | None = None
    problems: list[CaptureProblem] = []
    try:
        result = parse_capture(text, "CN")
    except CaptureError as error:
        problems = error.problems
    if result is None:
        assert problems
        assert all(problem.field in ("name", "phone", "email") for problem in problems)
        return
    for phone in result.phones:
        number = phonenumbers.parse(phone, None)
        assert phonenumbers.is_valid_number(number)
        assert phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164) == phone
    for email in result.emails:
        assert normalize_email(email) == email
    assert len(set(result.phones)) == len(result.phones)
    assert result.name and not looks_like_phone(result.name)
    if result.username is not None:
        assert normalize_username(result.username) == result.username
