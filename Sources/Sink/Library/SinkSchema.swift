/// The versioned schema (docs/tables.md). Migrations are append-only: a released one is never edited, a
/// change is a new version. Applied by ``SchemaMigrator`` under an advisory lock, each in its own transaction.
public enum SinkSchema {
    public struct Migration: Sendable {
        public let version: Int
        public let name: String
        public let sql: String
    }

    public static let migrations: [Migration] = [
        Migration(version: 1, name: "tables", sql: tables),
        Migration(version: 2, name: "dashboard views and functions", sql: dashboards),
        Migration(version: 3, name: "exact oracle decimals and chainlink_twap views", sql: exactDecimalsAndTWAPViews),
    ]

    public static var latestVersion: Int { migrations.last?.version ?? 0 }

    // Aggregates are computed as binary doubles and published as their shortest round-trip decimal, so
    // `double precision` keeps them exactly; tick prices keep the venue's decimal text in `numeric`
    // (scale included: "67000.10" stays "67000.10").
    static let tables = """
    CREATE TABLE ticks (
        ts            timestamptz NOT NULL,  -- event time: ts_venue, else ts_recv (ARCHITECTURE §3)
        source        text        NOT NULL,
        instrument    text        NOT NULL,
        venue_symbol  text        NOT NULL,
        kind          text        NOT NULL,
        bid           numeric,
        bid_size      numeric,
        ask           numeric,
        ask_size      numeric,
        last          numeric,
        exact         numeric,
        ts_venue      timestamptz,
        ts_recv       timestamptz NOT NULL,
        conn          integer     NOT NULL,
        seq           bigint      NOT NULL,
        producer      text        NOT NULL,
        PRIMARY KEY (producer, seq, ts)
    ) PARTITION BY RANGE (ts);
    CREATE INDEX ticks_source_time ON ticks (source, instrument, ts);

    CREATE TABLE snapshots_1s (
        second      timestamptz      NOT NULL,
        source      text             NOT NULL,
        instrument  text             NOT NULL,
        price       double precision NOT NULL,
        bid         double precision,
        ask         double precision,
        fresh       boolean          NOT NULL,
        ticks       integer          NOT NULL,
        open        double precision,
        high        double precision,
        low         double precision,
        close       double precision,
        age_ms      bigint           NOT NULL,
        price_usd   double precision,
        fx          double precision,
        fx_assumed  boolean          NOT NULL,
        PRIMARY KEY (source, instrument, second)
    ) PARTITION BY RANGE (second);
    CREATE INDEX snapshots_1s_second ON snapshots_1s USING brin (second);

    CREATE TABLE windows_15m (
        window_start      timestamptz      NOT NULL,
        source            text             NOT NULL,
        instrument        text             NOT NULL,
        open              double precision NOT NULL,
        open_ts           timestamptz      NOT NULL,
        open_delay_ms     bigint           NOT NULL,
        current           double precision,
        current_ts        timestamptz,
        high              double precision,
        low               double precision,
        ticks             bigint           NOT NULL,
        change            double precision,
        change_bps        double precision,
        side              text,
        seconds_left      integer          NOT NULL,
        resolution_price  double precision,
        resolution_ts     timestamptz,
        resolved_side     text,
        final             boolean          NOT NULL,
        complete          boolean          NOT NULL,
        max_gap_ms        bigint           NOT NULL,
        as_of             timestamptz      NOT NULL,  -- end of the last second folded in
        updated_at        timestamptz      NOT NULL DEFAULT now(),
        PRIMARY KEY (source, instrument, window_start)
    ) PARTITION BY RANGE (window_start);

    CREATE TABLE spreads_1s (
        second        timestamptz      NOT NULL,
        base          text             NOT NULL,
        a             text             NOT NULL,
        b             text             NOT NULL,
        a_instrument  text             NOT NULL,
        b_instrument  text             NOT NULL,
        a_price_usd   double precision NOT NULL,
        b_price_usd   double precision NOT NULL,
        diff_usd      double precision NOT NULL,
        bps           double precision NOT NULL,
        diff          double precision,
        a_age_ms      bigint           NOT NULL,
        b_age_ms      bigint           NOT NULL,
        fx_assumed    boolean          NOT NULL,
        PRIMARY KEY (a, b, base, second)
    ) PARTITION BY RANGE (second);

    CREATE TABLE venue_events (
        ts        timestamptz NOT NULL,
        source    text        NOT NULL,
        producer  text        NOT NULL,
        conn      integer     NOT NULL,
        event     text        NOT NULL,
        detail    text        NOT NULL,
        last_seq  bigint      NOT NULL,
        PRIMARY KEY (producer, conn, event, ts)
    ) PARTITION BY RANGE (ts);
    CREATE INDEX venue_events_source_time ON venue_events (source, ts);

    -- dlq.producer (frames a producer could not decode) and dlq.sink (records the sink could not write),
    -- keyed by their own Kafka coordinates.
    CREATE TABLE dead_letters (
        ts                timestamptz NOT NULL,
        topic             text        NOT NULL,
        kafka_partition   integer     NOT NULL,
        kafka_offset      bigint      NOT NULL,
        source            text,
        producer          text,
        reason            text        NOT NULL,
        opcode            text,
        origin_topic      text,
        origin_partition  integer,
        origin_offset     bigint,
        payload           bytea       NOT NULL,
        PRIMARY KEY (topic, kafka_partition, kafka_offset, ts)
    ) PARTITION BY RANGE (ts);

    -- One row per sink instance, updated in every write transaction: health's "sink freshness".
    CREATE TABLE sink_progress (
        instance        text        PRIMARY KEY,
        last_commit_at  timestamptz NOT NULL,
        rows_written    bigint      NOT NULL
    );
    """

    static let dashboards = """
    -- 1-second prices of every source (filter on "second" for partition pruning).
    CREATE VIEW prices_1s AS
    SELECT second, source, instrument, price, price_usd, bid, ask, fresh, ticks, age_ms, fx_assumed
    FROM snapshots_1s;

    -- Every 15-minute window: open ("price to beat") vs current, and how it resolved.
    CREATE VIEW window_open_vs_current AS
    SELECT window_start, window_start + interval '15 minutes' AS window_end, source, instrument,
           open, open_ts, open_delay_ms, current, current_ts, change, change_bps, side, seconds_left,
           high, low, ticks, resolution_price, resolved_side, final, complete, as_of
    FROM windows_15m;

    -- The Chainlink windows, newest first: the history chart.
    CREATE VIEW chainlink_windows AS
    SELECT * FROM window_open_vs_current WHERE source = 'chainlink' ORDER BY window_start DESC;

    -- The Chainlink window in progress (at most one row per instrument).
    CREATE VIEW chainlink_current_window AS
    SELECT DISTINCT ON (instrument) *
    FROM window_open_vs_current
    WHERE source = 'chainlink'
      AND window_start = to_timestamp(floor(extract(epoch FROM now()) / 900) * 900)
    ORDER BY instrument, as_of DESC;

    -- One window second by second: the source's 1-second price against the window's open.
    CREATE FUNCTION window_chart(p_source text, p_instrument text, p_window_start timestamptz)
    RETURNS TABLE (second timestamptz, price double precision, open double precision,
                   change double precision, change_bps double precision)
    LANGUAGE sql STABLE AS $$
        SELECT s.second, s.price, w.open, s.price - w.open, (s.price / w.open - 1) * 10000
        FROM windows_15m w
        JOIN snapshots_1s s
          ON s.source = w.source AND s.instrument = w.instrument
         AND s.second >= w.window_start AND s.second < w.window_start + interval '15 minutes'
        WHERE w.source = p_source AND w.instrument = p_instrument AND w.window_start = p_window_start
        ORDER BY s.second
    $$;

    -- The spread of any two sources in either order: (x − y) in USD and bps, one row per second.
    CREATE FUNCTION spread_between(p_x text, p_y text, p_from timestamptz, p_to timestamptz, p_base text DEFAULT 'BTC')
    RETURNS TABLE (second timestamptz, x text, y text, x_price_usd double precision, y_price_usd double precision,
                   diff_usd double precision, bps double precision, x_age_ms bigint, y_age_ms bigint,
                   fx_assumed boolean)
    LANGUAGE sql STABLE AS $$
        SELECT second, p_x, p_y,
               CASE WHEN a = p_x THEN a_price_usd ELSE b_price_usd END,
               CASE WHEN a = p_x THEN b_price_usd ELSE a_price_usd END,
               CASE WHEN a = p_x THEN diff_usd ELSE -diff_usd END,
               CASE WHEN a = p_x THEN bps ELSE (b_price_usd / a_price_usd - 1) * 10000 END,
               CASE WHEN a = p_x THEN a_age_ms ELSE b_age_ms END,
               CASE WHEN a = p_x THEN b_age_ms ELSE a_age_ms END,
               fx_assumed
        FROM spreads_1s
        WHERE ((a = p_x AND b = p_y) OR (a = p_y AND b = p_x)) AND base = p_base
          AND second >= p_from AND second < p_to
        ORDER BY second
    $$;
    """

    // Until version 3 the RTDS relays stored `full_accuracy_value` as sent, an E18 fixed-point integer
    // (`65000500000000000000000` for 65000.5); `exact` is the decimal itself now (docs/topics.md#exact). A
    // multiplication by 10^-18 is exact in numeric (division would round), trim_scale drops the zeros.
    // Integers of 16+ digits cannot be a plain price, so a row already converted is never touched again.
    static let exactDecimalsAndTWAPViews = """
    UPDATE ticks SET exact = trim_scale(exact * 0.000000000000000001)
    WHERE source IN ('chainlink', 'binance_rtds') AND kind = 'oracle' AND scale(exact) = 0 AND abs(exact) >= 1e15;

    -- The windows of the series the Up/Down markets resolve on since 2026-08-07 (Chainlink's 60 s TWAP).
    CREATE VIEW chainlink_twap_windows AS
    SELECT * FROM window_open_vs_current WHERE source = 'chainlink_twap' ORDER BY window_start DESC;

    -- The TWAP window in progress: the market's price to beat against the TWAP now.
    CREATE VIEW chainlink_twap_current_window AS
    SELECT DISTINCT ON (instrument) *
    FROM window_open_vs_current
    WHERE source = 'chainlink_twap'
      AND window_start = to_timestamp(floor(extract(epoch FROM now()) / 900) * 900)
    ORDER BY instrument, as_of DESC;
    """
}
