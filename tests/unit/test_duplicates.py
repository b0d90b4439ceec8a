"""Catching a customer captured twice."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.duplicates import (
    NAME_THRESHOLD,
    DuplicateCandidate,
    DuplicateMatch,
    company_key,
    find_duplicates,
    name_key,
    similar_names,
)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("  Zhang  WEI ", "zhang wei"),
        ("Zhang\tWei\n", "zhang wei"),
        ("ＺＨＡＮＧ Ｗｅｉ", "zhang wei"),  # full-width letters (NFKC)
        ("Zhang, Wei.", "zhang wei"),
        ("O'Brien", "obrien"),
        ("Jean-Luc Picard", "jean luc picard"),
        ("José Müller", "jose muller"),
        ("约翰·史密斯", "约翰 史密斯"),
        ("张伟", "张伟"),
        ("がぎ", "がぎ"),  # kana voicing marks are not accents
        ("STRASSE", "strasse"),
        ("Straße", "strasse"),  # casefold, not lower
        ("", ""),
        ("...", ""),
    ],
)
def test_name_key(name: str, expected: str) -> None:
    assert name_key(name) == expected


@given(st.text(max_size=30))
def test_name_key_is_idempotent(name: str) -> None:
    assert name_key(name_key(name)) == name_key(name)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Zhang Wei", "zhang wei"),
        ("Zhang Wei", "Wei Zhang"),
        ("zhang wei", "WEI  ZHANG"),
        ("Zhang Wei", "Zhang Wie"),  # a typo
        ("John Smith", "Jon Smith"),
        ("Anna Schmidt", "Anna Schmitt"),
        ("José Li", "Jose Li"),
        ("张伟", "张伟"),
        ("张 伟", "张伟"),
    ],
)
def test_similar_names_match(a: str, b: str) -> None:
    assert similar_names(a, b) >= NAME_THRESHOLD
    assert similar_names(b, a) == similar_names(a, b)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Zhang Wei", "Zhang Min"),
        ("张伟", "张伟明"),  # a different person
        ("张伟", "张卫"),
        ("欧阳娜娜", "欧阳娜"),
        ("Li Na", "Li Ma"),
        ("Zhang Wei", "张伟"),
        ("Zhang Wei", ""),
        ("", ""),
    ],
)
def test_similar_names_do_not_match(a: str, b: str) -> None:
    assert similar_names(a, b) < NAME_THRESHOLD


def test_similar_names_scores() -> None:
    assert similar_names("张伟", "张伟") == 100.0
    assert similar_names("Zhang Wei", "Wei Zhang") == 100.0
    assert similar_names("张伟", "张卫") < similar_names("张伟", "张伟明") < 100.0
    assert 0.0 <= similar_names("abc", "xyz") <= 100.0


@pytest.mark.parametrize(
    ("company", "expected"),
    [
        ("Acme Ltd.", "acme"),
        ("ACME", "acme"),
        ("Acme, Inc.", "acme"),
        ("Acme Co., Ltd.", "acme"),
        ("The Acme Company", "acme"),
        ("Acme Corp", "acme"),
        ("Acme LLC", "acme"),
        ("Siemens AG", "siemens"),
        ("Müller GmbH & Co. KG", "muller"),
        ("Acme Group Holdings Limited", "acme"),
        ("阿里巴巴集团控股有限公司", "阿里巴巴"),
        ("北京字节跳动科技有限公司", "北京字节跳动科技"),
        ("腾讯公司", "腾讯"),
        ("华为技术有限公司", "华为技术"),
        ("トヨタ株式会社", "トヨタ"),
        ("Ltd", "ltd"),  # never stripped to nothing
        ("有限公司", "有限公司"),
        ("The", "the"),
        ("", ""),
        (None, ""),
    ],
)
def test_company_key(company: str | None, expected: str) -> None:
    assert company_key(company) == expected


def test_company_key_equalities() -> None:
    assert company_key("Acme Ltd.") == company_key("ACME")
    assert company_key("Acme Limited") == company_key("acme ltd")
    assert company_key("Acme") != company_key("Acme Robotics")


# --- find_duplicates -----------------------------------------------------------------------

ZHANG = DuplicateCandidate(
    customer_id=12,
    name="Zhang Wei",
    company="Acme Ltd",
    phones=("+8613800138000",),
    emails=("Zhang.Wei@Acme.com",),
)
LI = DuplicateCandidate(13, "Li Na", None, ("+8613900139000",), ())
WANG = DuplicateCandidate(14, "张伟", "腾讯", (), ("zw@qq.com",))


def find(
    name: str = "Somebody",
    company: str | None = None,
    phones: tuple[str, ...] = (),
    emails: tuple[str, ...] = (),
    candidates: tuple[DuplicateCandidate, ...] = (ZHANG, LI, WANG),
) -> list[DuplicateMatch]:
    return find_duplicates(
        name=name, company=company, phones=phones, emails=emails, candidates=candidates
    )


def test_same_phone() -> None:
    assert find(phones=("+8613900139000",)) == [DuplicateMatch(13, "phone", 100.0)]


def test_same_email_whatever_the_case() -> None:
    assert find(emails=("zhang.wei@acme.COM",)) == [DuplicateMatch(12, "email", 100.0)]


def test_similar_name_at_the_same_company() -> None:
    assert find("wei zhang", "ACME") == [DuplicateMatch(12, "name", 100.0)]
    [match] = find("Zhang Wie", "Acme Limited")
    assert match.customer_id == 12 and match.reason == "name"
    assert NAME_THRESHOLD <= match.score < 100.0
    assert find("张伟", "腾讯有限公司") == [DuplicateMatch(14, "name", 100.0)]


def test_similar_name_elsewhere_is_no_duplicate() -> None:
    assert find("Zhang Wei", "Globex") == []
    assert find("Zhang Wei", None) == []  # the other has a company, this one not
    assert find("张伟明", "腾讯") == []
    assert find("Zhang Min", "Acme") == []


def test_without_companies_only_the_same_name() -> None:
    assert find("li  NA") == [DuplicateMatch(13, "name", 100.0)]
    assert find("Na Li") == [DuplicateMatch(13, "name", 100.0)]  # the same words
    assert find("Li Nan") == []  # similar is not enough without a company to confirm it


def test_strongest_reason_once_per_customer_best_first() -> None:
    matches = find(
        "Zhang Wei",
        "Acme",
        phones=("+8613900139000",),
        emails=("ZW@qq.com", "zhang.wei@acme.com"),
    )
    assert matches == [
        DuplicateMatch(13, "phone", 100.0),
        DuplicateMatch(12, "email", 100.0),  # also a name match: email is stronger
        DuplicateMatch(14, "email", 100.0),
    ]


def test_name_matches_are_sorted_by_score() -> None:
    candidates = (
        DuplicateCandidate(1, "Zhang Wie", "Acme", (), ()),
        DuplicateCandidate(2, "Zhang Wei", "Acme", (), ()),
        DuplicateCandidate(3, "Zhang Weii", "Acme", (), ()),
    )
    matches = find("Zhang Wei", "Acme", candidates=candidates)
    assert [m.customer_id for m in matches] == [2, 3, 1]
    assert matches[0].score == 100.0


def test_no_match_for_an_empty_name() -> None:
    assert find("", None, candidates=(DuplicateCandidate(1, "", None, (), ()),)) == []


def test_candidates_may_be_any_iterable() -> None:
    assert find(phones=("+8613800138000",), candidates=iter([ZHANG])) != []  # type: ignore[arg-type]


_NAMES = st.text(alphabet="abcdefgh 张伟明李", min_size=1, max_size=12).filter(
    lambda name: name_key(name) != ""
)


@settings(max_examples=100, deadline=None)
@given(
    name=_NAMES,
    company=st.one_of(st.none(), st.text(alphabet="abc 公司", max_size=8)),
    phones=st.lists(st.sampled_from(["+8613800138000", "+8613900139000", "+49301234567"])),
    emails=st.lists(st.sampled_from(["a@b.cn", "c@d.cn"])),
    others=st.lists(_NAMES, max_size=5),
)
def test_a_customer_always_duplicates_itself(
    name: str,
    company: str | None,
    phones: list[str],
    emails: list[str],
    others: list[str],
) -> None:
    itself = DuplicateCandidate(99, name, company, tuple(phones), tuple(emails))
    noise = [DuplicateCandidate(i, other, "Noise Inc", (), ()) for i, other in enumerate(others)]
    matches = find_duplicates(
        name=name.upper(),
        company=company,
        phones=phones,
        emails=emails,
        candidates=[*noise, itself],
    )
    mine = [match for match in matches if match.customer_id == 99]
    assert len(mine) == 1
    expected = "phone" if phones else "email" if emails else "name"
    assert mine[0].reason == expected
    assert [m.score for m in matches] == sorted((m.score for m in matches), reverse=True)
    assert len({m.customer_id for m in matches}) == len(matches)
