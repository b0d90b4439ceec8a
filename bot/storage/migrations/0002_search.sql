-- telecrm schema, version 2: customer search (see bot/storage/search_index.py).
-- Both tables are keyed by rowid = customers.id and written by CustomersRepository in the
-- same transaction as the customer; merged customers have no rows (never found).

-- Substrings of 3+ characters: folded name, company, contacts (username, emails, tags,
-- newline-separated) and phone digits (each ended by '$', space-separated). `owner` holds
-- the owner's key (search_index.owner_key), so a rep's search intersects index lists instead
-- of filtering every match through the customers table. `card` (not indexed) is the
-- candidate's display data as JSON, so search results need no second lookup.
CREATE VIRTUAL TABLE customer_search USING fts5(
    name, company, contacts, phones, owner, card UNINDEXED,
    tokenize = 'trigram case_sensitive 0'
);

-- Keys for what trigrams cannot do: 1-2 character word prefixes, CJK bigrams, one-edit typos.
-- One token per key, so positions are not needed (detail=column keeps the index small).
CREATE VIRTUAL TABLE customer_terms USING fts5(
    words, grams, fuzzy, owner,
    tokenize = 'unicode61 remove_diacritics 2',
    prefix = '1 2',
    detail = column
);

-- Whatever deletes a customer (directly or by a future erase), its index rows go with it.
CREATE TRIGGER customers_search_delete AFTER DELETE ON customers
BEGIN
    DELETE FROM customer_search WHERE rowid = OLD.id;
    DELETE FROM customer_terms WHERE rowid = OLD.id;
END;

-- /mine and the funnel: a rep's live customers per status, by name. merged_into_id (always
-- NULL here) is a column only so that SQLite sees the index as covering those queries.
CREATE INDEX customers_live_owner
    ON customers (owner_id, status, name COLLATE NOCASE, merged_into_id)
    WHERE merged_into_id IS NULL;

-- /today: one rep's due follow-ups in time order.
CREATE INDEX customers_owner_followup ON customers (owner_id, next_followup_at)
    WHERE next_followup_at IS NOT NULL;
