-- The periodic rules pass (bot/services/rules.py) reads these with set-based queries.

-- Quiet customers per status: "in status S, no contact since T" is one range scan. The
-- inactivity clock starts at creation for a customer never contacted, hence the expression
-- (bot/storage/rules.py spells it the same way, or SQLite would not use the index).
CREATE INDEX customers_quiet ON customers (status, COALESCE(last_contact_at, created_at))
    WHERE merged_into_id IS NULL;

-- Value tiers: purchases (amount-bearing interactions, a few percent of all) grouped per
-- customer straight from this covering index, without touching the other interactions.
CREATE INDEX interactions_purchases
    ON interactions (customer_id, occurred_at, currency, amount_minor)
    WHERE amount_minor IS NOT NULL;

-- Value tiers: customers holding a tier other than normal (the tier of those who never
-- bought), so that those who stopped being buyers are found without a scan of all customers.
CREATE INDEX customers_tiered ON customers (value_tier)
    WHERE value_tier != 'normal' AND merged_into_id IS NULL;
