-- Monitoring: one row per pipeline run and per phase, quarantined rows with their error,
-- and the batch claims that let concurrent process runs split the work with no overlap.
CREATE SCHEMA IF NOT EXISTS jobinsight_monitoring;

CREATE TABLE IF NOT EXISTS jobinsight_monitoring.pipeline_runs (
    run_id      text PRIMARY KEY,
    flow        text NOT NULL,
    started_at  timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz,
    success     boolean,
    message     text,
    options     jsonb,
    stats       jsonb
);

CREATE TABLE IF NOT EXISTS jobinsight_monitoring.phase_metrics (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    run_id        text NOT NULL,
    flow          text NOT NULL,
    phase         text NOT NULL,
    batch_no      integer,
    started_at    timestamptz NOT NULL,
    duration_s    double precision NOT NULL,
    rows_in       bigint,
    rows_out      bigint,
    rss_mb        double precision,
    rss_delta_mb  double precision,
    cpu_percent   double precision,
    extra         jsonb
);
CREATE INDEX IF NOT EXISTS phase_metrics_run_idx ON jobinsight_monitoring.phase_metrics (run_id);

CREATE TABLE IF NOT EXISTS jobinsight_monitoring.quarantine (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    stage      text NOT NULL CHECK (stage IN ('scrape', 'process')),
    source     text,
    job_id     text,
    raw_id     bigint,
    run_id     text,
    reason     text NOT NULL,
    record     jsonb,
    attempts   integer NOT NULL DEFAULT 1,
    status     text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved', 'dead')),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
-- At most one open entry per raw row in processing: a re-failure updates it.
CREATE UNIQUE INDEX IF NOT EXISTS quarantine_open_process_raw_idx
    ON jobinsight_monitoring.quarantine (raw_id) WHERE stage = 'process' AND status = 'open';

CREATE TABLE IF NOT EXISTS jobinsight_monitoring.batch_claims (
    claim_id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    run_id        text NOT NULL,
    mode          text NOT NULL,
    lo_id         bigint NOT NULL,
    hi_id         bigint NOT NULL,
    n_rows        integer NOT NULL,
    claimed_at    timestamptz NOT NULL DEFAULT now(),
    claimed_until timestamptz NOT NULL,
    saved_at      timestamptz,
    result        jsonb
);
