"""The customer book's repositories: customers and their search index, interactions, history."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.clock import FakeClock
from bot.domain.models import (
    ChurnReason,
    Customer,
    CustomerKind,
    CustomerStatus,
    Demand,
    InteractionKind,
    Role,
    Sentiment,
    ValueTier,
)
from bot.storage import search_index
from bot.storage.db import Database
from bot.storage.repositories import Repositories

REP_A, REP_B, MANAGER = 501, 502, 601


@pytest.fixture
async def book(db: Database, clock: FakeClock) -> Database:
    """The database with two reps and a manager."""
    async with db.transaction() as tx:
        for user_id, role in ((REP_A, Role.REP), (REP_B, Role.REP), (MANAGER, Role.MANAGER)):
            await tx.users.add(
                user_id=user_id, full_name=f"User {user_id}", username=None, role=role,
                language="en", timezone="UTC", at=clock.now(),
            )
    return db


async def _add(repo: Repositories, at: datetime, name: str, **fields: Any) -> Customer:
    """Add a customer with defaults for every field not given."""
    values: dict[str, Any] = {
        "company": None, "kind": CustomerKind.B2C, "phones": (), "emails": (),
        "telegram_username": None, "city": None, "source": None, "demand": None, "tags": (),
        "notes": None, "owner_id": REP_A, "referred_by_id": None, "created_by": REP_A,
    }
    values.update(fields)
    return await repo.customers.add(name=name, at=at, **values)


async def _create(db: Database, at: datetime, name: str, **fields: Any) -> Customer:
    async with db.transaction() as tx:
        return await _add(tx, at, name, **fields)


async def _find(
    db: Database,
    text: str | None = None,
    *,
    digits: str | None = None,
    owner_ids: Collection[int] | None = None,
    limit: int = 200,
) -> list[str]:
    """The names of the search candidates, in order."""
    async with db.read() as repo:
        found = await repo.customers.search_candidates(
            text=text, digits=digits, owner_ids=owner_ids, limit=limit
        )
    return [c.name for c in found]


# -- customers: add, get, update, delete -------------------------------------------------------


async def test_add_and_get_every_field(book: Database, clock: FakeClock) -> None:
    """A new customer comes back with every field, sets in their order, defaults applied."""
    now = clock.now()
    referrer = await _create(book, now, "Old Friend")
    created = await _create(
        book, now, "Zhang Wei", company="Acme", kind=CustomerKind.B2B,
        phones=["+8613800138000", "+12025550123", "+8613800138000"],
        emails=["zw@acme.cn", "zhang@Example.com"], telegram_username="zhangwei",
        city="深圳", source="trade show", demand=Demand.BOTH, tags=["vip", "展会"],
        notes="prefers WeChat", owner_id=REP_B, referred_by_id=referrer.id, created_by=REP_A,
    )
    async with book.read() as repo:
        got = await repo.customers.get(customer_id=created.id)
        missing = await repo.customers.get(customer_id=9999)
    assert got == created
    assert missing is None
    assert got.phones == ("+8613800138000", "+12025550123")  # deduplicated, order kept
    assert got.emails == ("zw@acme.cn", "zhang@Example.com")
    assert got.tags == ("vip", "展会")
    assert (got.kind, got.demand, got.city, got.source) == (
        CustomerKind.B2B, Demand.BOTH, "深圳", "trade show"
    )
    assert (got.owner_id, got.referred_by_id, got.created_by) == (REP_B, referrer.id, REP_A)
    assert got.status is CustomerStatus.POTENTIAL
    assert got.value_tier is ValueTier.NORMAL and got.value_tier_override is None
    assert got.created_at == got.updated_at == now
    assert got.last_contact_at is None and got.next_followup_at is None


async def test_update_fields_and_sets(book: Database, clock: FakeClock) -> None:
    """Scalars, enums, times and the phone/email/tag sets change; updated_at moves."""
    customer = await _create(book, clock.now(), "Li Na", phones=["+8613900000001"], tags=["a"])
    later = clock.advance(timedelta(hours=2))
    async with book.transaction() as tx:
        updated = await tx.customers.update(
            customer_id=customer.id, at=later, status=CustomerStatus.WON,
            value_tier=ValueTier.HIGH, value_tier_override=ValueTier.LOW, owner_id=REP_B,
            last_contact_at=later, next_followup_at=later + timedelta(days=3),
            phones=["+8613900000002", "+8613900000001"], emails=["li@na.cn"], tags=[],
            demand=Demand.SERVICE, notes=None,
        )
    assert updated.status is CustomerStatus.WON
    assert updated.value_tier is ValueTier.HIGH and updated.tier is ValueTier.LOW
    assert updated.owner_id == REP_B
    assert updated.last_contact_at == later
    assert updated.next_followup_at == later + timedelta(days=3)
    assert updated.phones == ("+8613900000002", "+8613900000001")
    assert updated.emails == ("li@na.cn",)
    assert updated.tags == ()
    assert updated.demand is Demand.SERVICE
    assert updated.updated_at == later and updated.created_at == customer.created_at
    async with book.read() as repo:
        assert await repo.customers.get(customer_id=customer.id) == updated


async def test_update_refuses_unknown_fields_and_customers(
    book: Database, clock: FakeClock
) -> None:
    """An unknown field is a ValueError, an unknown customer a LookupError."""
    customer = await _create(book, clock.now(), "Li Na")
    async with book.transaction() as tx:
        with pytest.raises(ValueError, match="id"):
            await tx.customers.update(customer_id=customer.id, at=clock.now(), id=7)
        with pytest.raises(LookupError):
            await tx.customers.update(customer_id=9999, at=clock.now(), name="x")


async def test_delete_cascades_and_leaves_the_index(book: Database, clock: FakeClock) -> None:
    """Deleting a customer removes its contacts, interactions and search rows."""
    customer = await _create(book, clock.now(), "张伟明", phones=["+8613800138000"])
    async with book.transaction() as tx:
        await _log(tx, customer.id, clock.now(), "hello")
        assert await tx.customers.delete(customer_id=customer.id) is True
        assert await tx.customers.delete(customer_id=customer.id) is False
    async with book.read() as repo:
        assert await repo.customers.get(customer_id=customer.id) is None
        assert await repo.interactions.count(customer_id=customer.id) == 0
        assert await repo.customers.by_phone(phones=["+8613800138000"]) == []
    assert await _find(book, "张伟") == []
    assert await _find(book, digits="8000") == []


# -- customers: look-ups -----------------------------------------------------------------------


async def test_by_phone_and_by_email(book: Database, clock: FakeClock) -> None:
    """Exact phones, emails ignoring case; merged customers are not returned."""
    now = clock.now()
    a = await _create(book, now, "A", phones=["+8613800138000"], emails=["a@x.cn"])
    b = await _create(book, now, "B", phones=["+8613800138000", "+4930123456"])
    gone = await _create(book, now, "Gone", phones=["+4930123456"], emails=["A@X.CN"])
    async with book.transaction() as tx:
        await tx.customers.update(customer_id=gone.id, at=now, merged_into_id=a.id)
    async with book.read() as repo:
        by_phone = await repo.customers.by_phone(phones=["+8613800138000", "+4930123456"])
        assert [c.id for c in by_phone] == [a.id, b.id]
        assert await repo.customers.by_phone(phones=["+861380013800"]) == []
        assert await repo.customers.by_phone(phones=[]) == []
        assert [c.id for c in await repo.customers.by_email(emails=["A@x.CN"])] == [a.id]
        assert await repo.customers.by_email(emails=[]) == []


async def test_duplicate_candidates(book: Database, clock: FakeClock) -> None:
    """Same phone, same email, then equal names, then names one edit away."""
    now = clock.now()
    phone = await _create(book, now, "Somebody", phones=["+8613800138000"])
    email = await _create(book, now, "Else", emails=["zw@acme.cn"])
    exact = await _create(book, now, "Wei Zhang", company="Acme")
    typo = await _create(book, now, "Zhang Wie")
    await _create(book, now, "Zhang San")
    cjk = await _create(book, now, "张伟明")
    async with book.read() as repo:
        found = await repo.customers.duplicate_candidates(
            name="Zhang Wei", company="Acme", phones=["+8613800138000"], emails=["ZW@acme.cn"]
        )
        assert [c.id for c in found] == [phone.id, email.id, exact.id, typo.id]
        found = await repo.customers.duplicate_candidates(
            name="张伟", company=None, phones=[], emails=[]
        )
        assert [c.id for c in found] == [cjk.id]
        found = await repo.customers.duplicate_candidates(
            name="Zhang Wei", company=None, phones=[], emails=[], limit=1
        )
        assert len(found) == 1


async def test_names(book: Database, clock: FakeClock) -> None:
    """Names by id; unknown ids are left out."""
    a = await _create(book, clock.now(), "A")
    b = await _create(book, clock.now(), "张伟")
    async with book.read() as repo:
        assert await repo.customers.names(customer_ids=[a.id, b.id, 999]) == {
            a.id: "A", b.id: "张伟"
        }
        assert await repo.customers.names(customer_ids=[]) == {}


async def test_lists_counts_and_followups(book: Database, clock: FakeClock) -> None:
    """Per-owner pages by name, counts per status (zeros included), due follow-ups."""
    now = clock.now()
    bob = await _create(book, now, "bob")
    alice = await _create(book, now, "Alice")
    carol = await _create(book, now, "Carol", owner_id=REP_B)
    merged = await _create(book, now, "Aaron")
    async with book.transaction() as tx:
        await tx.customers.update(customer_id=merged.id, at=now, merged_into_id=alice.id)
        await tx.customers.update(
            customer_id=bob.id, at=now, status=CustomerStatus.WON,
            next_followup_at=now - timedelta(days=1),
        )
        await tx.customers.update(
            customer_id=alice.id, at=now, next_followup_at=now + timedelta(hours=1)
        )
        await tx.customers.update(
            customer_id=carol.id, at=now, next_followup_at=now - timedelta(days=2)
        )
    async with book.read() as repo:
        customers = repo.customers
        mine = await customers.list_for_owner(owner_ids=[REP_A])
        assert [c.name for c in mine] == ["Alice", "bob"]
        everyone = await customers.list_for_owner(owner_ids=None)
        assert [c.name for c in everyone] == ["Alice", "bob", "Carol"]
        page = await customers.list_for_owner(owner_ids=None, limit=1, offset=1)
        assert [c.name for c in page] == ["bob"]
        won = await customers.list_for_owner(owner_ids=[REP_A], status=CustomerStatus.WON)
        assert [c.name for c in won] == ["bob"]
        assert await customers.list_for_owner(owner_ids=[]) == []

        counts = await customers.count_by_status(owner_ids=[REP_A])
        assert set(counts) == set(CustomerStatus)
        assert counts[CustomerStatus.WON] == 1 and counts[CustomerStatus.POTENTIAL] == 1
        assert sum(counts.values()) == 2
        assert sum((await customers.count_by_status(owner_ids=None)).values()) == 3

        due = await customers.due_followups(owner_id=REP_A, until=now)
        assert [c.name for c in due] == ["bob"]
        due = await customers.due_followups(owner_id=REP_A, until=now + timedelta(days=1))
        assert [c.name for c in due] == ["bob", "Alice"]
        assert await customers.due_followups(owner_id=REP_A, until=now, limit=0) == []
        assert [c.name for c in await customers.due_followups(owner_id=REP_B, until=now)] == [
            "Carol"
        ]


# -- search ------------------------------------------------------------------------------------


@pytest.fixture
async def people(book: Database, clock: FakeClock) -> Database:
    """A small mixed book to search."""
    now = clock.now()
    rows: Sequence[tuple[str, dict[str, Any]]] = (
        ("Zhang Wei", {"company": "Acme Trading", "phones": ["+8613800138000"],
                       "emails": ["zhang.wei@acme.cn"], "telegram_username": "zw_sales"}),
        ("张伟明", {"company": "深圳华为技术有限公司", "phones": ["+8613912345678"],
                  "owner_id": REP_B}),
        ("李张伟", {"tags": ["展会", "vip"], "phones": ["+4930555666"]}),
        ("王伟", {"tags": ["wholesale"]}),
        ("Jürgen Müller", {"company": "Müller Maschinenbau GmbH",
                           "phones": ["+4917612345678"], "owner_id": REP_B}),
        ("Lisa Li", {"emails": ["lisa@example.com"], "tags": ["fast payer"]}),
    )
    for name, fields in rows:
        await _create(book, now, name, **fields)
    return book


async def test_two_chinese_characters_match_anywhere_in_a_name(people: Database) -> None:
    """张伟 finds 张伟明 and 李张伟 (not 王伟); one character and three work as well."""
    assert sorted(await _find(people, "张伟")) == sorted(["张伟明", "李张伟"])
    assert sorted(await _find(people, "伟")) == sorted(["张伟明", "李张伟", "王伟"])
    assert await _find(people, "伟明") == ["张伟明"]
    # Three characters: the substring first, then names sharing a bigram (a wrong character).
    assert await _find(people, "张伟明") == ["张伟明", "李张伟"]
    assert await _find(people, "华为") == ["张伟明"]  # in the company
    assert await _find(people, "展会") == ["李张伟"]  # a tag


async def test_phone_fragments(people: Database) -> None:
    """Last 4+ digits, a middle fragment or the whole number in any format."""
    assert await _find(people, digits="8000") == ["Zhang Wei"]
    assert await _find(people, digits="0013") == ["Zhang Wei"]
    assert await _find(people, digits="+86 138 0013 8000") == ["Zhang Wei"]
    assert await _find(people, digits="1234") == ["Jürgen Müller", "张伟明"]  # newest first
    assert await _find(people, digits="12") == []  # too short to mean anything
    # Digits typed as text reach the phones too.
    assert await _find(people, "5678") == ["Jürgen Müller", "张伟明"]


async def test_phones_ending_with_the_digits_come_first(
    book: Database, clock: FakeClock
) -> None:
    """Typed last digits prefer numbers ending with them over newer ones containing them."""
    await _create(book, clock.now(), "Ends", phones=["+12025554321"])
    await _create(book, clock.now(), "Contains", phones=["+8613843210000"])
    assert await _find(book, digits="4321") == ["Ends", "Contains"]
    assert await _find(book, digits="4321", limit=1) == ["Ends"]


async def test_typos_are_tolerated(people: Database) -> None:
    """One edit per word still finds the customer; accents need not be typed."""
    assert await _find(people, "Zhang Wie") == ["Zhang Wei"]
    assert await _find(people, "Zhnag Wei") == ["Zhang Wei"]
    assert await _find(people, "Jurgen Muler") == ["Jürgen Müller"]
    assert await _find(people, "muller") == ["Jürgen Müller"]
    assert await _find(people, "MASCHINENBAU") == ["Jürgen Müller"]
    assert await _find(people, "Acme Tradng") == ["Zhang Wei"]
    assert await _find(people, "Xyzzy") == []


async def test_names_with_inner_punctuation(book: Database, clock: FakeClock) -> None:
    """O'Brien is found as typed, without the apostrophe, and with a typo in either form."""
    await _create(book, clock.now(), "Jacob O'Brien", company="Jean-Luc Trading")
    for query in ("o'brien", "OBrien", "Jacob OBrian", "O'Brian", "jeanluc", "Jean Luc"):
        assert await _find(book, query) == ["Jacob O'Brien"], query


async def test_emails_usernames_tags_and_word_prefixes(people: Database) -> None:
    """Emails, usernames and tags are searched; 1-2 letters match word starts."""
    assert await _find(people, "acme.cn") == ["Zhang Wei"]
    assert await _find(people, "lisa@example") == ["Lisa Li"]
    assert await _find(people, "zw_sales") == ["Zhang Wei"]
    assert await _find(people, "wholesale") == ["王伟"]
    assert await _find(people, "fast payer") == ["Lisa Li"]
    assert await _find(people, "li") == ["Lisa Li"]
    assert await _find(people, "zh w") == ["Zhang Wei"]
    assert await _find(people, "zhangwei") == ["Zhang Wei"]  # typed without the space
    assert await _find(people, "  ,;  ") == []
    assert await _find(people) == []


async def test_tiers_come_in_order_and_limit_applies(book: Database, clock: FakeClock) -> None:
    """Word-prefix hits first, then substrings, then one-edit matches; `limit` caps all."""
    now = clock.now()
    for name in ("Mandy Lau", "Amanda Cheng", "Manda Wu", "Zamanda Ho"):
        await _create(book, now, name)
    assert await _find(book, "manda") == ["Manda Wu", "Zamanda Ho", "Amanda Cheng", "Mandy Lau"]
    assert await _find(book, "manda", limit=2) == ["Manda Wu", "Zamanda Ho"]
    assert await _find(book, "manda", limit=0) == []


async def test_candidates_carry_what_ranking_needs(people: Database) -> None:
    """A candidate has the display fields, in their stored order."""
    async with people.read() as repo:
        [candidate] = await repo.customers.search_candidates(text="zhang wei")
    assert candidate.name == "Zhang Wei"
    assert candidate.company == "Acme Trading"
    assert candidate.phones == ("+8613800138000",)
    assert candidate.emails == ("zhang.wei@acme.cn",)
    assert candidate.username == "zw_sales"
    assert candidate.tags == ()


async def test_visibility_by_owner(people: Database) -> None:
    """owner_ids restricts every kind of match to those owners' customers."""
    assert sorted(await _find(people, "张伟", owner_ids=[REP_A])) == ["李张伟"]
    assert await _find(people, "张伟", owner_ids=[REP_B]) == ["张伟明"]
    assert sorted(await _find(people, "张伟", owner_ids=[REP_A, REP_B])) == sorted(
        ["张伟明", "李张伟"]
    )
    assert await _find(people, "张伟", owner_ids=[MANAGER]) == []
    assert await _find(people, "张伟", owner_ids=[]) == []
    assert await _find(people, digits="1234", owner_ids=[REP_A]) == []
    assert await _find(people, digits="1234", owner_ids={REP_B}) == ["Jürgen Müller", "张伟明"]
    assert await _find(people, "Jurgen Muler", owner_ids=[REP_A]) == []
    assert await _find(people, "acme", owner_ids=[REP_A]) == ["Zhang Wei"]
    assert await _find(people, "acme", owner_ids=[REP_B]) == []


async def test_unowned_customers_are_seen_only_without_restriction(
    book: Database, clock: FakeClock
) -> None:
    """A customer without owner is found by managers' unrestricted searches only."""
    await _create(book, clock.now(), "Nobody's", owner_id=None)
    assert await _find(book, "nobody") == ["Nobody's"]
    assert await _find(book, "nobody", owner_ids=[REP_A]) == []


async def test_index_follows_updates(people: Database, clock: FakeClock) -> None:
    """After a change of name, phones, tags, username or owner, the old values stop matching."""
    async with people.read() as repo:
        [zhang] = await repo.customers.search_candidates(text="Zhang Wei")
    async with people.transaction() as tx:
        await tx.customers.update(
            customer_id=zhang.customer_id, at=clock.now(), name="陈静", company=None,
            phones=["+12025550199"], tags=["distributor"], emails=[], telegram_username="cj",
            owner_id=REP_B,
        )
    assert await _find(people, "zhang") == []
    assert await _find(people, "acme") == []
    assert await _find(people, digits="8000") == []
    assert await _find(people, "zw_sales") == []
    assert await _find(people, "陈静") == ["陈静"]
    assert await _find(people, digits="0199", owner_ids=[REP_B]) == ["陈静"]
    assert await _find(people, "distributor") == ["陈静"]
    assert await _find(people, "陈", owner_ids=[REP_A]) == []
    # A change outside the index (status) leaves it as it is.
    async with people.transaction() as tx:
        await tx.customers.update(
            customer_id=zhang.customer_id, at=clock.now(), status=CustomerStatus.WON
        )
    assert await _find(people, "陈静") == ["陈静"]


async def test_merged_customers_are_not_found(people: Database, clock: FakeClock) -> None:
    """Merging takes a customer out of search; undoing the merge brings it back."""
    async with people.read() as repo:
        li = (await repo.customers.search_candidates(text="李张伟"))[0]
        zhang = (await repo.customers.search_candidates(text="张伟明"))[0]
    async with people.transaction() as tx:
        await tx.customers.update(
            customer_id=li.customer_id, at=clock.now(), merged_into_id=zhang.customer_id
        )
    assert await _find(people, "张伟") == ["张伟明"]
    assert await _find(people, digits="123456") == ["Jürgen Müller", "张伟明"]
    async with people.transaction() as tx:
        await tx.customers.update(customer_id=li.customer_id, at=clock.now(), merged_into_id=None)
    assert sorted(await _find(people, "张伟")) == sorted(["张伟明", "李张伟"])


async def test_rollback_leaves_the_index_consistent(people: Database, clock: FakeClock) -> None:
    """A failed transaction undoes the index rows it wrote, with the customer rows."""

    async def fail_midway() -> None:
        async with people.transaction() as tx:
            await _add(tx, clock.now(), "赵敏", phones=["+8613700000000"])
            zhang = (await tx.customers.search_candidates(text="zhang wei"))[0]
            await tx.customers.update(
                customer_id=zhang.customer_id, at=clock.now(), name="Renamed"
            )
            assert await tx.customers.search_candidates(text="赵敏") != []
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        await fail_midway()
    assert await _find(people, "赵敏") == []
    assert await _find(people, digits="0000") == []
    assert await _find(people, "renamed") == []
    assert await _find(people, "zhang wei") == ["Zhang Wei"]


async def test_reindex_rebuilds_rows(people: Database) -> None:
    """reindex rewrites every customer's rows to what they should be."""
    async with people.transaction() as tx:
        assert await tx.customers.reindex() == 6
        assert await tx.customers.reindex(customer_ids=[1]) == 1
    assert sorted(await _find(people, "张伟")) == sorted(["张伟明", "李张伟"])


async def test_odd_characters_do_not_break_search(people: Database) -> None:
    """Quotes, FTS syntax and letters SQLite splits differently are plain text."""
    assert await _find(people, '"zhang"*') == ["Zhang Wei"]
    assert await _find(people, "zhang OR nobody") == []  # every word must match
    assert await _find(people, "NEAR(a b) AND") == []
    assert await _find(people, "a\u19b0b") == []  # a New Tai Lue vowel: a separator to SQLite


@given(st.integers(min_value=0, max_value=2**63 - 1), st.integers(min_value=0, max_value=2**63))
def test_owner_keys_never_contain_each_other(a: int, b: int) -> None:
    """Two owners' keys differ and neither is a substring of the other."""
    key_a, key_b = search_index.owner_key(a), search_index.owner_key(b)
    assert len(key_a) >= 3
    if a != b:
        assert key_a not in key_b and key_b not in key_a


# -- interactions and status history -----------------------------------------------------------


async def _log(repo: Repositories, customer_id: int, at: datetime, text: str) -> Any:
    return await repo.interactions.add(
        customer_id=customer_id, author_id=REP_A, kind=InteractionKind.NOTE, text=text,
        amount_minor=None, currency=None, sentiment=None, next_followup_at=None,
        occurred_at=at, at=at,
    )


async def test_interactions(book: Database, clock: FakeClock) -> None:
    """Interactions come back as stored, the latest occurred first, paged and counted."""
    now = clock.now()
    customer = await _create(book, now, "Li Na")
    async with book.transaction() as tx:
        sale = await tx.interactions.add(
            customer_id=customer.id, author_id=REP_A, kind=InteractionKind.FEEDBACK,
            text="happy", amount_minor=12_345, currency="CNY", sentiment=Sentiment.SATISFIED,
            next_followup_at=now + timedelta(days=7), occurred_at=now - timedelta(days=1),
            at=now,
        )
        await _log(tx, customer.id, now - timedelta(days=3), "oldest")
        await _log(tx, customer.id, now, "same time, logged first")
        await _log(tx, customer.id, now, "same time, logged last")
    assert sale.kind is InteractionKind.FEEDBACK and sale.sentiment is Sentiment.SATISFIED
    assert (sale.amount_minor, sale.currency) == (12_345, "CNY")
    assert sale.next_followup_at == now + timedelta(days=7)
    assert sale.occurred_at == now - timedelta(days=1) and sale.created_at == now
    async with book.read() as repo:
        recent = await repo.interactions.recent(customer_id=customer.id)
        assert [i.text for i in recent] == [
            "same time, logged last", "same time, logged first", "happy"
        ]
        assert recent[2] == sale
        older = await repo.interactions.recent(customer_id=customer.id, limit=3, offset=3)
        assert [i.text for i in older] == ["oldest"]
        assert await repo.interactions.count(customer_id=customer.id) == 4
        assert await repo.interactions.count(customer_id=9999) == 0
        assert await repo.interactions.recent(customer_id=9999) == []


async def test_status_history(book: Database, clock: FakeClock) -> None:
    """Status changes come back as stored, the latest first, paged and counted."""
    customer = await _create(book, clock.now(), "Li Na")
    async with book.transaction() as tx:
        first = await tx.status_history.add(
            customer_id=customer.id, changed_by=REP_A, from_status=None,
            to_status=CustomerStatus.POTENTIAL, reason=None, reason_text=None, at=clock.now(),
        )
        clock.advance(timedelta(days=1))
        churn = await tx.status_history.add(
            customer_id=customer.id, changed_by=None, from_status=CustomerStatus.POTENTIAL,
            to_status=CustomerStatus.CHURNED, reason=ChurnReason.PRICE,
            reason_text="too dear", at=clock.now(),
        )
    assert first.from_status is None and first.changed_by == REP_A
    assert churn.reason is ChurnReason.PRICE and churn.reason_text == "too dear"
    assert churn.changed_by is None and churn.changed_at == clock.now()
    async with book.read() as repo:
        history = repo.status_history
        assert await history.for_customer(customer_id=customer.id) == [churn, first]
        assert await history.for_customer(customer_id=customer.id, limit=1) == [churn]
        assert await history.for_customer(customer_id=customer.id, offset=1) == [first]
        assert await history.count(customer_id=customer.id) == 2
        assert await history.count(customer_id=9999) == 0
