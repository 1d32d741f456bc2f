"""PostgreSQL only: `masthead_meter_read`, the counted read of `paywall.services.meter_read_record` as one server-side
function, so a metered article detail costs one round trip to the database instead of seven statements.

It does exactly what the ORM path does (and SQLite keeps using that path): create the reader's MeterPeriod row if
missing, lock it FOR UPDATE (serialising one reader's concurrent requests), answer `already_read` if this article
was counted this period, `exhausted` (and count a paywall hit) at the limit, else insert the unique MeterRead row and
increment `used`. A later migration that renames these tables or columns must replace the function.
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION masthead_meter_read(p_key varchar, p_period date, p_article bigint, p_limit integer)
RETURNS TABLE (outcome text, used integer)
LANGUAGE plpgsql AS $$
DECLARE
    v_id bigint;
    v_used integer;
BEGIN
    INSERT INTO paywall_meterperiod (reader_key, period, used, paywall_hits, created_at)
    VALUES (p_key, p_period, 0, 0, now())
    ON CONFLICT (reader_key, period) DO NOTHING;
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

DROP = "DROP FUNCTION IF EXISTS masthead_meter_read(varchar, date, bigint, integer);"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("paywall", "0003_provider_events")]

    operations = [migrations.RunPython(create, drop)]
