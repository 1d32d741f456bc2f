"""Meter windows (issue 16): `masthead_meter_read` takes the window's first local day besides the day a read is
stored under, and counts the window as the distinct articles of its days' MeterRead rows; it also answers the local
day of the oldest counted read (for a rolling window's `resets_at`). PostgreSQL only, like 0004 and 0005; SQLite
uses the ORM twin (`paywall.services.meter._meter_read_with_orm`), and the tests run both on PostgreSQL.

Steps: create the reader's row of the day if missing and lock it FOR UPDATE (serialising one reader's concurrent
requests), answer `already_read` if the article was counted in the window, `exhausted` (and count a paywall hit) at
the limit, else insert the unique MeterRead row of the day and increment the day's `used`. For a day window
(`p_first = p_day`) 0005's short path stays: a first read of the day counts in the INSERT of the day's row.

Also: an ExperimentAssignment may hold no arm (the account stays outside the experiment's traffic, as the anonymous
reader it was). Reversing restores 0005's function.
"""

from importlib import import_module

import django.db.models.deletion
from django.db import migrations, models

PREVIOUS = import_module("paywall.migrations.0005_meter_read_first_of_period").CREATE

CREATE = """
CREATE OR REPLACE FUNCTION masthead_meter_read(
    p_key varchar, p_first date, p_day date, p_article bigint, p_limit integer
)
RETURNS TABLE (outcome text, used integer, oldest date)
LANGUAGE plpgsql AS $$
DECLARE
    v_id bigint;
    v_used integer;
    v_oldest date;
    v_read boolean;
BEGIN
    IF p_limit > 0 AND p_first = p_day THEN
        INSERT INTO paywall_meterperiod (reader_key, period, used, paywall_hits, created_at)
        VALUES (p_key, p_day, 1, 0, now())
        ON CONFLICT (reader_key, period) DO NOTHING
        RETURNING id INTO v_id;
        IF v_id IS NOT NULL THEN
            INSERT INTO paywall_meterread (reader_key, period, article_id, created_at)
            VALUES (p_key, p_day, p_article, now())
            ON CONFLICT (reader_key, period, article_id) DO NOTHING;
            RETURN QUERY SELECT 'counted'::text, 1, p_day;
            RETURN;
        END IF;
    ELSE
        INSERT INTO paywall_meterperiod (reader_key, period, used, paywall_hits, created_at)
        VALUES (p_key, p_day, 0, 0, now())
        ON CONFLICT (reader_key, period) DO NOTHING;
    END IF;
    SELECT m.id INTO v_id
    FROM paywall_meterperiod m WHERE m.reader_key = p_key AND m.period = p_day
    FOR UPDATE;
    SELECT count(DISTINCT r.article_id)::integer, min(r.period), coalesce(bool_or(r.article_id = p_article), false)
    INTO v_used, v_oldest, v_read
    FROM paywall_meterread r
    WHERE r.reader_key = p_key AND r.period >= p_first AND r.period <= p_day;
    IF v_read THEN
        RETURN QUERY SELECT 'already_read'::text, v_used, v_oldest;
        RETURN;
    END IF;
    IF v_used >= p_limit THEN
        UPDATE paywall_meterperiod SET paywall_hits = paywall_hits + 1 WHERE id = v_id;
        RETURN QUERY SELECT 'exhausted'::text, v_used, v_oldest;
        RETURN;
    END IF;
    INSERT INTO paywall_meterread (reader_key, period, article_id, created_at)
    VALUES (p_key, p_day, p_article, now());
    UPDATE paywall_meterperiod SET used = paywall_meterperiod.used + 1 WHERE id = v_id;
    RETURN QUERY SELECT 'counted'::text, v_used + 1, coalesce(v_oldest, p_day);
END
$$;
"""

DROP_PREVIOUS = "DROP FUNCTION IF EXISTS masthead_meter_read(varchar, date, bigint, integer);"
DROP = "DROP FUNCTION IF EXISTS masthead_meter_read(varchar, date, date, bigint, integer);"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_PREVIOUS)
        schema_editor.execute(CREATE)


def restore(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)
        schema_editor.execute(PREVIOUS)


class Migration(migrations.Migration):
    dependencies = [("paywall", "0006_meter_policies_and_experiments")]

    operations = [
        migrations.RunPython(create, restore),
        migrations.AlterField(
            model_name="experimentassignment",
            name="arm",
            field=models.ForeignKey(
                blank=True,
                help_text="Empty: the account stays outside the experiment's traffic (as it was before registering).",
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="assignments",
                to="paywall.experimentarm",
            ),
        ),
    ]
