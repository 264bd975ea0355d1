-- Staging for the split pipeline. The data lives in staging_jobs_data; staging_jobs becomes
-- a view over it whose time_remaining is computed from due_date when it is read, so it is
-- never stale (the legacy snapshot column is kept in the table as time_remaining_snapshot).

DO $$
BEGIN
    IF to_regclass('jobinsight_staging.staging_jobs_data') IS NULL THEN
        ALTER TABLE jobinsight_staging.staging_jobs RENAME TO staging_jobs_data;
        ALTER TABLE jobinsight_staging.staging_jobs_data RENAME COLUMN time_remaining TO time_remaining_snapshot;
    END IF;
END
$$;

ALTER TABLE jobinsight_staging.staging_jobs_data
    ALTER COLUMN job_id TYPE text,
    ALTER COLUMN title TYPE text,
    ALTER COLUMN title DROP NOT NULL,
    ALTER COLUMN company_name TYPE text,
    ALTER COLUMN salary TYPE text,
    ALTER COLUMN location TYPE text,
    ALTER COLUMN deadline TYPE text,
    ALTER COLUMN last_update TYPE text,
    ALTER COLUMN title_clean TYPE text,
    ALTER COLUMN company_name_standardized TYPE text,
    ALTER COLUMN salary_type TYPE text,
    ADD COLUMN IF NOT EXISTS source text NOT NULL DEFAULT 'topcv',
    ADD COLUMN IF NOT EXISTS raw_id bigint,
    ADD COLUMN IF NOT EXISTS content_hash text,
    ADD COLUMN IF NOT EXISTS salary_currency text,
    ADD COLUMN IF NOT EXISTS salary_period text,
    ADD COLUMN IF NOT EXISTS salary_amount_min numeric,
    ADD COLUMN IF NOT EXISTS salary_amount_max numeric,
    ADD COLUMN IF NOT EXISTS cities jsonb,
    ADD COLUMN IF NOT EXISTS skills_normalized jsonb,
    ADD COLUMN IF NOT EXISTS seniority text,
    ADD COLUMN IF NOT EXISTS job_family text,
    ADD COLUMN IF NOT EXISTS work_mode text,
    ADD COLUMN IF NOT EXISTS languages_required jsonb,
    ADD COLUMN IF NOT EXISTS capabilities jsonb,
    ADD COLUMN IF NOT EXISTS enrichment_source text,
    ADD COLUMN IF NOT EXISTS enrichment_version text,
    ADD COLUMN IF NOT EXISTS processed_at timestamptz,
    ADD COLUMN IF NOT EXISTS run_id text;

DO $$
DECLARE
    pk_name text;
    pk_cols text[];
BEGIN
    SELECT c.conname, array_agg(a.attname::text ORDER BY a.attname)
      INTO pk_name, pk_cols
      FROM pg_constraint c
      JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey)
     WHERE c.conrelid = 'jobinsight_staging.staging_jobs_data'::regclass AND c.contype = 'p'
     GROUP BY c.conname;
    IF pk_name IS NOT NULL AND pk_cols <> ARRAY['job_id', 'source']::text[] THEN
        EXECUTE format('ALTER TABLE jobinsight_staging.staging_jobs_data DROP CONSTRAINT %I', pk_name);
        pk_name := NULL;
    END IF;
    IF pk_name IS NULL THEN
        ALTER TABLE jobinsight_staging.staging_jobs_data
            ADD CONSTRAINT staging_jobs_data_pkey PRIMARY KEY (source, job_id);
    END IF;
END
$$;

-- Rewritten rows stay on their page (HOT) when a changed job is re-processed.
ALTER TABLE jobinsight_staging.staging_jobs_data SET (fillfactor = 90);

CREATE OR REPLACE FUNCTION jobinsight_staging.time_remaining(p_due timestamptz)
RETURNS text LANGUAGE sql STABLE PARALLEL SAFE AS
$$
    SELECT CASE
        WHEN p_due IS NULL THEN NULL
        WHEN p_due <= now() THEN 'Hết hạn'
        ELSE 'Còn ' || ceil(extract(epoch FROM (p_due - now())) / 86400)::int || ' ngày'
    END
$$;

CREATE OR REPLACE VIEW jobinsight_staging.staging_jobs AS
SELECT
    d.job_id, d.title, d.job_url, d.company_name, d.company_url, d.salary, d.skills,
    d.location, d.location_detail, d.deadline, d.verified_employer, d.last_update, d.logo_url,
    d.posted_time, d.crawled_at, d.title_clean, d.company_name_standardized,
    d.salary_min, d.salary_max, d.salary_type, d.location_pairs, d.due_date,
    jobinsight_staging.time_remaining(d.due_date) AS time_remaining,
    CASE WHEN d.due_date IS NULL THEN NULL
         ELSE ceil(extract(epoch FROM (d.due_date - now())) / 86400)::int END AS days_remaining,
    d.source, d.raw_id, d.content_hash, d.salary_currency, d.salary_period,
    d.salary_amount_min, d.salary_amount_max, d.cities, d.skills_normalized, d.seniority,
    d.job_family, d.work_mode, d.languages_required, d.capabilities, d.enrichment_source,
    d.enrichment_version, d.processed_at, d.run_id, d.time_remaining_snapshot
FROM jobinsight_staging.staging_jobs_data d;

COMMENT ON VIEW jobinsight_staging.staging_jobs IS
    'Clean job postings; time_remaining/days_remaining are computed from due_date at read time.';
