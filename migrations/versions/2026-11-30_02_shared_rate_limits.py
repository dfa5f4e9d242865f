"""Rate limits shared by all processes on one database.

- `rate_limit_bucket`: one row per limited caller (`k:<api key id>`, `a:<address>` for
  requests without a key, `f:<address>` for refused keys), holding the bucket's GCRA
  "theoretical arrival time" `tat`: the bucket is full when `tat` is in the past and empty
  once `tat` is a whole minute ahead. UNLOGGED: no WAL, a commit that wrote only this table
  does not wait for a flush, and a crash empties it (every limit starts afresh, which is
  fine). Rows whose `tat` has passed say nothing a missing row would not: they are pruned.
  `fillfactor` leaves room on each page so that updating `tat` stays a HOT update.
- `rate_limit_take(bucket, emission, burst, wanted, returned)`: gives back `returned`
  tokens, then takes up to `wanted`; answers how many it `granted` and the seconds to
  `wait` until the bucket next holds one. Taking one (a keyed request) is one upsert;
  leases (several, or giving back) lock the row, then write it. One call locks the row for the few
  microseconds of its own statement (the callers run it outside any transaction).
  STRICT: a NULL bucket (no such key, in a statement that looks keys up) takes nothing.

Revision ID: 20261130_02
Revises: 20261129_04
Create Date: 2026-11-30 00:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261130_02"
down_revision: str | None = "20261129_04"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TAKE = """
CREATE FUNCTION rate_limit_take(
    bucket text, emission interval, burst interval, wanted integer, returned integer,
    OUT granted integer, OUT wait double precision
) LANGUAGE plpgsql STRICT AS $$
DECLARE
    moment timestamptz := clock_timestamp();
    held timestamptz;
    base timestamptz;
    existed boolean;
BEGIN
    IF wanted = 1 AND returned = 0 THEN
        -- Every keyed request: one statement. It locks the row even when it takes nothing,
        -- so the read after it (a fresh snapshot) sees the state that refused.
        INSERT INTO rate_limit_bucket AS b (key, tat) VALUES (bucket, moment + emission)
            ON CONFLICT (key) DO UPDATE SET tat = greatest(b.tat, moment) + emission
            WHERE greatest(b.tat, moment) + emission <= moment + burst
            RETURNING b.tat INTO held;
        granted := CASE WHEN FOUND THEN 1 ELSE 0 END;
        IF granted = 0 THEN
            SELECT b.tat INTO held FROM rate_limit_bucket AS b WHERE b.key = bucket;
        END IF;
        wait := greatest(0, extract(epoch FROM held + emission - burst - moment))::double precision;
        RETURN;
    END IF;
    LOOP
        SELECT b.tat INTO held FROM rate_limit_bucket AS b WHERE b.key = bucket
            FOR NO KEY UPDATE;
        existed := FOUND;
        -- A full bucket is `tat` = now; what is given back cannot overfill it.
        base := CASE WHEN existed THEN greatest(held - returned * emission, moment)
                     ELSE moment END;
        granted := greatest(0, least(wanted, floor(
            extract(epoch FROM moment + burst - base) / extract(epoch FROM emission))))::integer;
        IF existed THEN
            IF granted > 0 OR returned > 0 THEN
                UPDATE rate_limit_bucket SET tat = base + granted * emission WHERE key = bucket;
            END IF;
            EXIT;
        END IF;
        EXIT WHEN granted = 0;
        INSERT INTO rate_limit_bucket (key, tat) VALUES (bucket, base + granted * emission)
            ON CONFLICT (key) DO NOTHING;
        EXIT WHEN FOUND;
        -- Another caller made the row meanwhile: take from it as it is now.
    END LOOP;
    wait := greatest(0, extract(epoch FROM
        base + (granted + 1) * emission - burst - moment))::double precision;
END
$$
"""


def upgrade() -> None:
    op.create_table(
        "rate_limit_bucket",
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("tat", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_rate_limit_bucket")),
        prefixes=["UNLOGGED"],
        postgresql_with={"fillfactor": "50"},
    )
    op.execute(TAKE)


def downgrade() -> None:
    op.execute("DROP FUNCTION rate_limit_take(text, interval, interval, integer, integer)")
    op.drop_table("rate_limit_bucket")
