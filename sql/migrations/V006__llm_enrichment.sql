-- LLM enrichment (optional, off unless JOBINSIGHT_LLM_BASE_URL and JOBINSIGHT_LLM_MODEL are set).
--
-- llm_cache:   validated answers by posting content hash, model and prompt version, so an
--              unchanged posting is never sent twice (re-processing costs no tokens).
-- llm_usage:   requests and tokens per UTC day and model; the daily quota is taken from here
--              atomically, so every run and process shares it.
-- llm_pending: postings that kept their rules labels because the quota was spent, the batch's
--              time budget ran out or the endpoint failed; a later run with quota left (or a
--              backfill) enriches them. A row leaves this table when its answer is cached.
CREATE SCHEMA IF NOT EXISTS jobinsight_monitoring;

CREATE TABLE IF NOT EXISTS jobinsight_monitoring.llm_cache (
    content_hash   text        NOT NULL,
    model          text        NOT NULL,
    prompt_version text        NOT NULL,
    answer         jsonb       NOT NULL,
    tokens         integer     NOT NULL DEFAULT 0,
    created_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (content_hash, model, prompt_version)
);

CREATE TABLE IF NOT EXISTS jobinsight_monitoring.llm_usage (
    usage_day  date        NOT NULL,
    model      text        NOT NULL,
    requests   integer     NOT NULL DEFAULT 0 CHECK (requests >= 0),
    tokens     bigint      NOT NULL DEFAULT 0 CHECK (tokens >= 0),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (usage_day, model)
);

CREATE TABLE IF NOT EXISTS jobinsight_monitoring.llm_pending (
    content_hash    text        NOT NULL,
    model           text        NOT NULL,
    prompt_version  text        NOT NULL,
    raw_id          bigint,
    reason          text        NOT NULL,
    times_deferred  integer     NOT NULL DEFAULT 1,
    first_marked_at timestamptz NOT NULL DEFAULT now(),
    last_marked_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (content_hash, model, prompt_version)
);
CREATE INDEX IF NOT EXISTS llm_pending_raw_idx ON jobinsight_monitoring.llm_pending (raw_id);

COMMENT ON TABLE jobinsight_monitoring.llm_pending IS
    'Postings whose staging row still has rules labels (enrichment_source rules or rules-fallback) and should get LLM labels when quota allows.';
