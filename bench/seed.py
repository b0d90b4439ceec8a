"""Build (or reuse) a benchmark database: ~100k customers and ~1M interactions.

The schema comes from the real migrations (`Database.open`); rows are then written with plain
sqlite3 `executemany` in big transactions, the search rows through the same
`bot.storage.search_index.document` the repository uses. Deterministic (fixed seed).

    .venv/bin/python -m bench.seed [--customers 100000] [--interactions 1000000] [--force]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.clock import FakeClock
from bot.storage import search_index
from bot.storage.codec import ts
from bot.storage.db import Database

DEFAULT_PATH = Path(__file__).parent / ".data" / "bench.db"
NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
ADMIN_ID = 1000
MANAGER_IDS = (1001, 1002)
REP_IDS = tuple(range(2001, 2021))  # 20 reps own the customers

CN_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
)
CN_GIVEN = (
    "伟芳娜秀敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍鹏辉玲建国红梅志文斌浩宇晨欣怡子涵"
    "思雨佳琪雅婷俊杰博文嘉豪梓轩一诺子墨若汐海燕春雷金凤晓东立新永胜德福宏伟慧颖冬梅秋菊"
)
PINYIN_SURNAMES = (
    "Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Huang", "Zhao", "Wu", "Zhou", "Xu", "Sun",
    "Ma", "Zhu", "Hu", "Guo", "He", "Gao", "Lin", "Luo", "Zheng", "Liang", "Xie", "Song",
    "Tang", "Han", "Feng", "Deng", "Cao", "Peng", "Zeng", "Xiao", "Tian", "Dong", "Pan", "Jiang",
)
PINYIN_GIVEN = (
    "Wei", "Fang", "Na", "Min", "Jing", "Li", "Qiang", "Lei", "Jun", "Yang", "Yong", "Yan",
    "Jie", "Juan", "Tao", "Ming", "Chao", "Xia", "Ping", "Gang", "Hua", "Hui", "Peng", "Ling",
    "Jian", "Hong", "Bin", "Hao", "Yu", "Chen", "Xin", "Yi", "Wen", "Bo", "Jia", "Xuan",
    "Haiyan", "Xiaodong", "Lixin", "Zihan", "Yuting", "Junjie", "Jiahao", "Siyu", "Dongmei",
)
EN_FIRST = (
    "James", "Mary", "John", "Patricia", "Robert", "Jennifer", "Michael", "Linda", "William",
    "Elizabeth", "David", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah",
    "Charles", "Karen", "Daniel", "Nancy", "Matthew", "Lisa", "Anthony", "Betty", "Mark",
    "Sandra", "Steven", "Ashley", "Paul", "Emily", "Andrew", "Donna", "Joshua", "Michelle",
    "Kevin", "Carol", "Brian", "Amanda", "George", "Melissa", "Edward", "Deborah", "Ryan",
    "Laura", "Jacob", "Rebecca", "Gary", "Sharon", "Nicholas", "Cynthia", "Eric", "Kathleen",
)
EN_LAST = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez",
    "Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor",
    "Moore", "Jackson", "Martin", "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez",
    "Clark", "Ramirez", "Lewis", "Robinson", "Walker", "Young", "Allen", "King", "Wright",
    "Scott", "Torres", "Nguyen", "Hill", "Flores", "Green", "Adams", "Nelson", "Baker", "Hall",
    "Rivera", "Campbell", "Mitchell", "Carter", "Roberts", "O'Brien", "McDonald", "Evans",
)
DE_FIRST = (
    "Jürgen", "Klaus", "Stefan", "Andreas", "Michael", "Thomas", "Wolfgang", "Uwe", "Frank",
    "Sabine", "Ursula", "Petra", "Monika", "Claudia", "Birgit", "Jörg", "Björn", "Günter",
    "Dieter", "Lukas", "Leonie", "Hannah", "Lena", "Felix", "Maximilian", "Sophie", "Katrin",
)
DE_LAST = (
    "Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz",
    "Hoffmann", "Schäfer", "Koch", "Bauer", "Richter", "Klein", "Wolf", "Schröder", "Neumann",
    "Schwarz", "Zimmermann", "Braun", "Krüger", "Hofmann", "Hartmann", "Lange", "Schmitt",
    "Werner", "Krause", "Meier", "Lehmann", "Schmid", "Schulze", "Maier", "Köhler", "Weiß",
)
CN_CITIES = (
    "深圳", "上海", "北京", "广州", "杭州", "苏州", "成都", "武汉", "南京", "宁波", "东莞",
)
CN_BRAND = "华鑫源盛泰达恒通宏兴隆昌利丰瑞祥安康佳美新创联合天宇金辉永乐博远中科"
CN_INDUSTRY = ("科技", "贸易", "电子", "机械", "实业", "物流", "食品", "化工", "服饰", "建材")
CN_SUFFIX = ("有限公司", "股份有限公司", "集团有限公司")
EN_WORDS = (
    "Acme", "Globex", "Initech", "Umbrella", "Stark", "Wayne", "Summit", "Pioneer", "Harbor",
    "Atlas", "Evergreen", "Northwind", "Bluewave", "Redwood", "Silverline", "Keystone",
)
EN_KINDS = ("Trading", "Logistics", "Systems", "Foods", "Industries", "Electronics", "Supply")
EN_SUFFIX = ("Ltd", "Inc.", "LLC", "Co.", "Group")
DE_KINDS = ("Maschinenbau", "Logistik", "Handel", "Elektrotechnik", "Bau", "Automation")
DE_SUFFIX = ("GmbH", "AG", "KG", "GmbH & Co. KG")
CITIES = (
    "深圳", "上海", "北京", "广州", "杭州", "Shenzhen", "Shanghai", "New York", "Chicago",
    "Austin", "Berlin", "München", "Hamburg", "Köln", "Frankfurt",
)
SOURCES = (
    "trade show", "referral", "website", "cold call", "展会", "转介绍", "WeChat", "LinkedIn",
)
TAGS = (
    "vip", "wholesale", "distributor", "retail", "oem", "export", "展会", "老客户", "大客户",
    "referral", "price-sensitive", "fast payer", "Neukunde", "Großhandel",
)
NOTES = (
    "Prefers WeChat", "Call after 3pm", "需要发票", "Decision maker is the CEO", None, None, None,
)
INTERACTION_TEXTS = (
    "Called about the quote", "Sent the catalogue", "Asked for a discount on 500 units",
    "客户询问价格", "已发送报价单", "约了下周见面", "Visited the factory", "Follow-up on delivery",
    "Rückruf wegen Lieferung", "Angebot geschickt", "Complained about packaging",
    "对产品质量满意", "Wants samples", "Meeting with purchasing", "电话沟通合同细节",
)
KINDS = ("call", "meeting", "message", "email", "visit", "note", "feedback")
STATUSES = (
    "potential", "initial_contact", "following_up", "pending_confirmation", "won",
    "maintaining", "churn_warning", "churned", "dormant",
)
EMAIL_DOMAINS = ("qq.com", "163.com", "gmail.com", "outlook.com", "126.com", "web.de", "gmx.de")


def _person(rng: random.Random) -> tuple[str, str]:
    """A name and the Latin handle emails and usernames are made of."""
    roll = rng.random()
    if roll < 0.35:  # 汉字: surname + one or two given characters
        given = "".join(rng.choice(CN_GIVEN) for _ in range(rng.choice((1, 2, 2))))
        return rng.choice(CN_SURNAMES) + given, f"user{rng.randrange(10**6)}"
    if roll < 0.55:  # pinyin, either order
        surname, given = rng.choice(PINYIN_SURNAMES), rng.choice(PINYIN_GIVEN)
        name = f"{surname} {given}" if rng.random() < 0.6 else f"{given} {surname}"
        return name, f"{given}.{surname}".lower()
    if roll < 0.85:
        first, last = rng.choice(EN_FIRST), rng.choice(EN_LAST)
        return f"{first} {last}", f"{first}.{last}".lower().replace("'", "")
    first, last = rng.choice(DE_FIRST), rng.choice(DE_LAST)
    handle = f"{first}.{last}".lower()
    return f"{first} {last}", handle.replace("ü", "ue").replace("ö", "oe").replace("ä", "ae")


def _company(rng: random.Random) -> str | None:
    roll = rng.random()
    if roll < 0.35:
        return None
    if roll < 0.65:
        brand = rng.choice(CN_BRAND) + rng.choice(CN_BRAND)
        industry, suffix = rng.choice(CN_INDUSTRY), rng.choice(CN_SUFFIX)
        return f"{rng.choice(CN_CITIES)}{brand}{industry}{suffix}"
    if roll < 0.85:
        return f"{rng.choice(EN_WORDS)} {rng.choice(EN_KINDS)} {rng.choice(EN_SUFFIX)}"
    return f"{rng.choice(DE_LAST)} {rng.choice(DE_KINDS)} {rng.choice(DE_SUFFIX)}"


def _phone(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.55:
        return f"+861{rng.choice('3456789')}{rng.randrange(10**9):09d}"
    if roll < 0.8:
        area, exchange = rng.randrange(201, 990), rng.randrange(200, 1000)
        return f"+1{area}{exchange}{rng.randrange(10**4):04d}"
    if rng.random() < 0.6:
        return f"+491{rng.choice('567')}{rng.randrange(10**9):09d}"
    return f"+4930{rng.randrange(10**8):08d}"


@dataclass
class _Customer:
    """One generated customer, before it becomes rows."""

    id: int
    name: str
    company: str | None
    kind: str
    username: str | None
    city: str
    source: str
    demand: str | None
    status: str
    tier: str
    notes: str | None
    owner: int
    created: datetime
    phones: list[str]
    emails: list[str]
    tags: list[str]


def _customers(rng: random.Random, count: int) -> Iterator[_Customer]:
    for customer_id in range(1, count + 1):
        name, handle = _person(rng)
        company = _company(rng)
        created = NOW - timedelta(days=rng.uniform(1, 1100))
        phones = [_phone(rng) for _ in range(1 if rng.random() < 0.8 else 2)]
        emails = (
            [f"{handle}{rng.randrange(100)}@{rng.choice(EMAIL_DOMAINS)}"]
            if rng.random() < 0.7 else []
        )
        tags = rng.sample(TAGS, k=rng.choice((0, 0, 1, 1, 2, 3)))
        yield _Customer(
            id=customer_id,
            name=name,
            company=company,
            kind="b2b" if company and rng.random() < 0.7 else "b2c",
            username=handle.replace(".", "_") if rng.random() < 0.3 else None,
            city=rng.choice(CITIES),
            source=rng.choice(SOURCES),
            demand=rng.choice(("product", "service", "both", None)),
            status=rng.choice(STATUSES),
            tier=rng.choice(("high", "normal", "normal", "low")),
            notes=rng.choice(NOTES),
            owner=rng.choice(REP_IDS),
            created=created,
            phones=phones,
            emails=emails,
            tags=tags,
        )


def _create_schema(path: Path) -> None:
    async def run() -> None:
        db = await Database.open(path, FakeClock(NOW))
        await db.close()

    asyncio.run(run())


def _seed(path: Path, customers: int, interactions: int, rng: random.Random) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    # Bulk load: no journal, no fsync; WAL is restored at the end.
    conn.execute("PRAGMA journal_mode=OFF")
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("PRAGMA cache_size=-262144")
    conn.execute("BEGIN")
    at = ts(NOW)
    users = [(ADMIN_ID, "Admin", "admin"), *((m, f"Manager {m}", "manager") for m in MANAGER_IDS)]
    users += [(r, f"Rep {r}", "rep") for r in REP_IDS]
    conn.executemany(
        "INSERT INTO users (id, full_name, role, language, timezone, created_at, updated_at)"
        " VALUES (?, ?, ?, 'en', 'Asia/Shanghai', ?, ?)",
        [(uid, name, role, at, at) for uid, name, role in users],
    )
    # Skewed activity: most customers have a few interactions, some have many; the counts
    # are scaled so that they add up to exactly `interactions`.
    weights = [rng.expovariate(1.0) for _ in range(customers)]
    scale = interactions / sum(weights)
    counts = [int(w * scale) for w in weights]
    for i in rng.sample(range(customers), interactions - sum(counts)):
        counts[i] += 1
    rows: list[tuple[object, ...]] = []
    phones: list[tuple[object, ...]] = []
    emails: list[tuple[object, ...]] = []
    tags: list[tuple[object, ...]] = []
    search: list[tuple[object, ...]] = []
    terms: list[tuple[object, ...]] = []
    acts: list[tuple[object, ...]] = []
    history: list[tuple[object, ...]] = []
    done = 0
    for c in _customers(rng, customers):
        cid, created = c.id, c.created
        n = counts[cid - 1]
        done += n
        span = (NOW - created).total_seconds()
        times = sorted(created + timedelta(seconds=rng.uniform(0, span)) for _ in range(n))
        for t in times:
            kind = rng.choice(KINDS)
            amount = rng.randrange(1000, 10**7) if rng.random() < 0.08 else None
            acts.append((
                cid, c.owner, kind, rng.choice(INTERACTION_TEXTS), amount,
                rng.choice(("CNY", "USD", "EUR")) if amount else None,
                rng.choice(("satisfied", "neutral", "dissatisfied")) if kind == "feedback"
                else None,
                None, ts(t), ts(t),
            ))
        followup = (
            ts(NOW + timedelta(days=rng.uniform(-20, 30))) if rng.random() < 0.3 else None
        )
        rows.append((
            cid, c.name, c.company, c.kind, c.username, c.city, c.source,
            c.demand, c.status, c.tier, c.notes, c.owner,
            ts(times[-1]) if times else None, followup, c.owner, ts(created), ts(created),
        ))
        phone_list, email_list, tag_list = c.phones, c.emails, c.tags
        phones += [(cid, p, i) for i, p in enumerate(phone_list)]
        emails += [(cid, e, i) for i, e in enumerate(email_list)]
        tags += [(cid, t) for t in tag_list]
        previous = None
        for step in range(rng.randrange(1, 4)):
            status = c.status if step == 2 else rng.choice(STATUSES)
            history.append((cid, c.owner, previous, status, ts(created + timedelta(days=step))))
            previous = status
        doc = search_index.document(
            name=c.name, company=c.company, phones=phone_list, emails=email_list,
            username=c.username, tags=tag_list, owner_id=c.owner,
        )
        search.append(
            (cid, doc.name, doc.company, doc.contacts, doc.phones, doc.owner, doc.card)
        )
        terms.append((cid, doc.words, doc.grams, doc.fuzzy, doc.owner))
        if len(acts) >= 200_000 or cid == customers:
            _flush(conn, rows, phones, emails, tags, search, terms, acts, history)
            print(f"  {cid:>7} customers, {done:>8} interactions", flush=True)
    conn.execute("COMMIT")
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("ANALYZE")
    conn.execute("INSERT INTO customer_search (customer_search) VALUES ('optimize')")
    conn.execute("INSERT INTO customer_terms (customer_terms) VALUES ('optimize')")
    conn.close()


def _flush(conn: sqlite3.Connection, *batches: list[tuple[object, ...]]) -> None:
    rows, phones, emails, tags, search, terms, acts, history = batches
    conn.executemany(
        "INSERT INTO customers (id, name, company, kind, telegram_username, city, source, demand,"
        " status, value_tier, notes, owner_id, last_contact_at, next_followup_at, created_by,"
        " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    conn.executemany(
        "INSERT INTO customer_phones (customer_id, phone, position) VALUES (?, ?, ?)", phones
    )
    conn.executemany(
        "INSERT INTO customer_emails (customer_id, email, position) VALUES (?, ?, ?)", emails
    )
    conn.executemany("INSERT INTO customer_tags (customer_id, tag) VALUES (?, ?)", tags)
    conn.executemany(
        "INSERT INTO customer_search (rowid, name, company, contacts, phones, owner, card)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        search,
    )
    conn.executemany(
        "INSERT INTO customer_terms (rowid, words, grams, fuzzy, owner) VALUES (?, ?, ?, ?, ?)",
        terms,
    )
    conn.executemany(
        "INSERT INTO interactions (customer_id, author_id, kind, text, amount_minor, currency,"
        " sentiment, next_followup_at, occurred_at, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        acts,
    )
    conn.executemany(
        "INSERT INTO status_history (customer_id, changed_by, from_status, to_status,"
        " changed_at) VALUES (?, ?, ?, ?, ?)",
        history,
    )
    for batch in batches:
        batch.clear()


def _count(path: Path, table: str) -> int:
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])
    except sqlite3.Error:
        return 0
    finally:
        conn.close()


def ensure(
    path: Path = DEFAULT_PATH,
    *,
    customers: int = 100_000,
    interactions: int = 1_000_000,
    force: bool = False,
) -> Path:
    """The database at `path`, built unless it already holds that many rows."""
    if path.exists() and not force and (
        _count(path, "customers") == customers and _count(path, "interactions") == interactions
    ):
        print(f"reusing {path}")
        return path
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    started = time.perf_counter()
    print(f"seeding {path}: {customers} customers, {interactions} interactions")
    _create_schema(path)
    _seed(path, customers, interactions, random.Random(20260105))
    print(f"seeded in {time.perf_counter() - started:.1f} s")
    return path


def main(argv: list[str] | None = None) -> int:
    """Command line: build or reuse the benchmark database."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--path", type=Path, default=DEFAULT_PATH)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--interactions", type=int, default=1_000_000)
    parser.add_argument("--force", action="store_true", help="rebuild even if it exists")
    args = parser.parse_args(argv)
    ensure(args.path, customers=args.customers, interactions=args.interactions, force=args.force)
    return 0


if __name__ == "__main__":
    sys.exit(main())
