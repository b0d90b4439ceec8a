"""Finding a customer by any fragment: id, phone digits, email, username, name, company, tag."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.search import (
    EXACT_NAME_SCORE,
    EXACT_SCORE,
    FUZZY_THRESHOLD,
    PREFIX_SCORE,
    SUBSTRING_SCORE,
    Candidate,
    SearchQuery,
    classify_query,
    rank,
)


@pytest.mark.parametrize(
    ("text", "kind", "customer_id", "digits"),
    [
        ("#12", "id", 12, None),
        (" #12 ", "id", 12, None),
        ("＃12", "id", 12, None),
        ("12", "text", None, None),  # only '#12' is an id
        ("#12a", "text", None, None),
        ("#vip", "text", None, None),
        ("+86 138", "phone", None, "86138"),
        ("8000", "phone", None, "8000"),
        ("138-0013", "phone", None, "1380013"),
        ("(010) 6552", "phone", None, "0106552"),
        ("123", "text", None, None),  # too few digits
        ("Room 1203", "text", None, None),
        ("a@b.cn", "email", None, None),
        ("@acme.com", "email", None, None),
        ("wei@acme", "text", None, None),
        ("@Zhang_Wei", "username", None, None),
        ("t.me/zhang_wei", "username", None, None),
        ("@ab", "text", None, None),
        ("Zhang Wei", "text", None, None),
        ("张伟", "text", None, None),
        ("", "text", None, None),
    ],
)
def test_classify_query(text: str, kind: str, customer_id: int | None, digits: str | None) -> None:
    query = classify_query(text)
    assert (query.kind, query.customer_id, query.digits) == (kind, customer_id, digits)


def test_classify_query_normalises_text() -> None:
    assert classify_query("  Zhang    Wei ").text == "Zhang Wei"


ZHANG_WEI = Candidate(1, "张伟", None, ("+8613800138000",), (), None, ())
ZHANG_WEI_MING = Candidate(2, "张伟明", "腾讯", ("+8613900139000",), (), None, ("vip",))
ZHANG_EN = Candidate(
    3, "Zhang Wei", "Acme Ltd", ("+49301234567",), ("zw@acme.com",), "zhang_wei", ("重要",)
)
WEI_ZHANG = Candidate(4, "Wei Zhang", None, (), (), None, ())
ANNA = Candidate(5, "Anna Schmidt", "Acme Limited", ("+16502530000",), (), "anna_s", ())
BOB = Candidate(6, "Bob", "1688 Trading", (), ("bob@globex.com",), None, ())
ALL = (ZHANG_WEI, ZHANG_WEI_MING, ZHANG_EN, WEI_ZHANG, ANNA, BOB)


def ids(text: str, candidates: tuple[Candidate, ...] = ALL) -> list[int]:
    return [customer_id for customer_id, _ in rank(classify_query(text), candidates)]


def test_chinese_name_exact_before_prefix() -> None:
    result = rank(classify_query("张伟"), ALL)
    assert [customer_id for customer_id, _ in result] == [1, 2]
    assert result[0][1] == EXACT_NAME_SCORE
    assert PREFIX_SCORE <= result[1][1] < EXACT_NAME_SCORE


def test_chinese_substring() -> None:
    assert ids("伟明") == [2]
    assert ids("腾讯") == [2]


def test_id() -> None:
    assert rank(classify_query("#3"), ALL) == [(3, EXACT_SCORE)]
    assert rank(classify_query("#99"), ALL) == []


@pytest.mark.parametrize(
    "text", ["+86 138 0013 8000", "13800138000", "138 0013 8000", "+8613800138000"]
)
def test_exact_phone_in_any_format(text: str) -> None:
    assert rank(classify_query(text), ALL) == [(1, EXACT_SCORE)]


def test_exact_phone_with_trunk_prefix() -> None:
    assert rank(classify_query("030 1234567"), ALL) == [(3, EXACT_SCORE)]


def test_last_digits_of_a_phone() -> None:
    result = rank(classify_query("8000"), ALL)
    assert [customer_id for customer_id, _ in result] == [1]
    assert PREFIX_SCORE <= result[0][1] < EXACT_NAME_SCORE


def test_middle_digits_of_a_phone() -> None:
    result = rank(classify_query("138-0013"), ALL)
    assert [customer_id for customer_id, _ in result] == [1]
    assert SUBSTRING_SCORE <= result[0][1] < PREFIX_SCORE


def test_ending_digits_rank_above_middle_digits() -> None:
    a = Candidate(10, "A", None, ("+8613800131234",), (), None, ())
    b = Candidate(11, "B", None, ("+8613812340000",), (), None, ())
    assert ids("1234", (b, a)) == [10, 11]


def test_digits_also_find_a_company() -> None:
    assert ids("1688") == [6]


def test_email() -> None:
    assert rank(classify_query("ZW@Acme.com"), ALL) == [(3, EXACT_SCORE)]
    assert ids("@acme.com") == [3]
    assert ids("wei@acme") == []  # 'zw@acme.com' does not contain 'wei@acme'
    assert ids("zw@acme") == [3]
    assert ids("globex.com") == [6]


def test_username() -> None:
    assert rank(classify_query("@Zhang_Wei"), ALL) == [(3, EXACT_SCORE)]
    assert rank(classify_query("https://t.me/anna_s"), ALL) == [(5, EXACT_SCORE)]
    result = rank(classify_query("@zhang"), ALL)
    assert [customer_id for customer_id, _ in result] == [3]
    assert PREFIX_SCORE <= result[0][1] < EXACT_NAME_SCORE


def test_latin_name_order_and_case() -> None:
    result = rank(classify_query("zhang wei"), ALL)
    assert result[0] == (3, EXACT_NAME_SCORE)
    assert 4 in [customer_id for customer_id, _ in result]  # 'Wei Zhang', fuzzily


def test_prefix_then_substring() -> None:
    result = rank(classify_query("wei"), ALL)
    assert [customer_id for customer_id, _ in result] == [4, 3]
    assert PREFIX_SCORE <= result[0][1] < EXACT_NAME_SCORE
    assert SUBSTRING_SCORE <= result[1][1] < PREFIX_SCORE


def test_company_with_or_without_legal_form() -> None:
    for text in ("acme", "Acme Ltd", "ACME limited"):
        assert sorted(ids(text)) == [3, 5], text


def test_tags() -> None:
    assert ids("vip") == [2]
    assert ids("#vip") == [2]
    assert ids("重要") == [3]


@pytest.mark.parametrize(
    ("text", "expected"), [("Zhang Wie", 3), ("Zhng Wei", 3), ("Ana Schmidt", 5)]
)
def test_typos_are_tolerated(text: str, expected: int) -> None:
    result = rank(classify_query(text), ALL)
    assert result[0][0] == expected
    assert FUZZY_THRESHOLD <= result[0][1] < SUBSTRING_SCORE


@pytest.mark.parametrize("text", ["x", "zz", "qqqqq", "", "   ", "12", "xyzzy corp"])
def test_nothing_found(text: str) -> None:
    assert rank(classify_query(text), ALL) == []


def test_shorter_name_wins_a_tie() -> None:
    long = Candidate(20, "Acme Robotics Wei", None, (), (), None, ())
    short = Candidate(21, "Acme Wei", None, (), (), None, ())
    result = rank(classify_query("acme"), (long, short))
    assert [customer_id for customer_id, _ in result] == [21, 20]


def test_limit() -> None:
    many = [Candidate(i, f"Zhang {i}", None, (), (), None, ()) for i in range(100)]
    assert len(rank(classify_query("zhang"), many)) == 50
    assert len(rank(classify_query("zhang"), many, limit=5)) == 5
    assert rank(classify_query("zhang"), many, limit=0) == []


def test_bands_never_overlap() -> None:
    everything = [*ALL, Candidate(30, "Zhang Weiwei", "Zhang Wei Co", (), (), None, ())]
    for text in ("zhang", "wei", "张伟", "8000", "acme", "zhang wie"):
        for _, score in rank(classify_query(text), everything):
            assert score < EXACT_SCORE or score == EXACT_SCORE
            if score < EXACT_NAME_SCORE:
                assert score < EXACT_NAME_SCORE - 0.5


@settings(max_examples=60, deadline=None)
@given(
    target=st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True),
    others=st.lists(
        st.tuples(
            st.text(alphabet="abc张伟 0123456789", max_size=10),
            st.lists(st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True), max_size=2),
        ),
        max_size=15,
    ),
    style=st.sampled_from(["{n}", "+86 {n}", "+86{n}", "{a} {b} {c}", "{a}-{b}-{c}"]),
)
def test_an_exact_phone_match_comes_first(
    target: str, others: list[tuple[str, list[str]]], style: str
) -> None:
    e164 = f"+86{target}"
    candidates = [
        Candidate(i, name, None, tuple(f"+86{p}" for p in phones), (), None, ())
        for i, (name, phones) in enumerate(others)
    ]
    candidates.append(Candidate(1000, "Target", None, ("+8612300000000", e164), (), None, ()))
    query = classify_query(style.format(n=target, a=target[:3], b=target[3:7], c=target[7:]))
    assert query.kind == "phone"
    result = rank(query, candidates)
    assert result[0][1] == EXACT_SCORE
    winners = {customer_id for customer_id, score in result if score == EXACT_SCORE}
    assert 1000 in winners
    exact = {c.customer_id for c in candidates if e164 in c.phones}
    assert winners == exact


def test_search_query_is_a_value() -> None:
    assert classify_query("#7") == SearchQuery("#7", "id", 7, None)
