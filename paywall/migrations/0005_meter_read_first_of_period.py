"""PostgreSQL only: a shorter path in `masthead_meter_read` for a reader's first counted read of a period.

Most anonymous readers read one metered article a day, and that first read used to create the MeterPeriod row, lock
it, look for a read, insert the read and update the row: two writes of the same row. When the INSERT of the period
row actually inserts (`RETURNING` gives its id), this transaction owns a row nobody else can see or lock until it
commits (a concurrent first read of the same reader waits on the unique index, then finds the row and takes the
locked path), so the read is counted in the INSERT itself (`used = 1`) and the MeterRead row is inserted: one write
of the period row instead of three, no lock, no lookup. With a limit of 0 the locked path answers `exhausted` as
before. Outcomes and rows are the same as before and as the ORM path's (tests/paywall/services/
test_meter_concurrency.py). Reversing restores migration 0004's function.
"""

from importlib import import_module

from django.db import migrations

PREVIOUS = import_module("paywall.migrations.0004_meter_read_function").CREATE

CREATE = """
CREATE OR REPLACE FUNCTION masthead_meter_read(p_key varchar, p_period date, p_article bigint, p_limit integer)
RETURNS TABLE (outcome text, used integer)
LANGUAGE plpgsql AS $$
DECLARE
    v_id bigint;
    v_used integer;
BEGIN
    IF p_limit > 0 THEN
        INSERT INTO paywall_meterperiod (reader_key, period, used, paywall_hits, created_at)
        VALUES (p_key, p_period, 1, 0, now())
        ON CONFLICT (reader_key, period) DO NOTHING
        RETURNING id INTO v_id;
        IF v_id IS NOT NULL THEN
            INSERT INTO paywall_meterread (reader_key, period, article_id, created_at)
            VALUES (p_key, p_period, p_article, now())
            ON CONFLICT (reader_key, period, article_id) DO NOTHING;
            RETURN QUERY SELECT 'counted'::text, 1;
            RETURN;
        END IF;
    ELSE
        INSERT INTO paywall_meterperiod (reader_key, period, used, paywall_hits, created_at)
        VALUES (p_key, p_period, 0, 0, now())
        ON CONFLICT (reader_key, period) DO NOTHING;
    END IF;
    SELECT m.id, m.used INTO v_id, v_used
    FROM paywall_meterperiod m WHERE m.reader_key = p_key AND m.period = p_period
    FOR UPDATE;
    IF EXISTS (
        SELECT 1 FROM paywall_meterread r
        WHERE r.reader_key = p_key AND r.period = p_period AND r.article_id = p_article
    ) THEN
        RETURN QUERY SELECT 'already_read'::text, v_used;
        RETURN;
    END IF;
    IF v_used >= p_limit THEN
        UPDATE paywall_meterperiod SET paywall_hits = paywall_hits + 1 WHERE id = v_id;
        RETURN QUERY SELECT 'exhausted'::text, v_used;
        RETURN;
    END IF;
    INSERT INTO paywall_meterread (reader_key, period, article_id, created_at)
    VALUES (p_key, p_period, p_article, now());
    UPDATE paywall_meterperiod SET used = paywall_meterperiod.used + 1 WHERE id = v_id;
    RETURN QUERY SELECT 'counted'::text, v_used + 1;
END
$$;
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def restore(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PREVIOUS)


class Migration(migrations.Migration):
    dependencies = [("paywall", "0004_meter_read_function")]

    operations = [migrations.RunPython(create, restore)]
