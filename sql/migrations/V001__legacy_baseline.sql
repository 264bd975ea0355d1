-- The original JobInsight layout, created only where it does not exist yet.
-- A fresh database and one made by the original pipeline then go through the same
-- upgrade migrations below, so both end in exactly the same shape.
CREATE SCHEMA IF NOT EXISTS jobinsight_staging;

CREATE TABLE IF NOT EXISTS public.raw_jobs (
    job_id            VARCHAR(20) PRIMARY KEY,
    title             VARCHAR(255) NOT NULL,
    job_url           TEXT,
    company_name      VARCHAR(200),
    company_url       TEXT,
    salary            VARCHAR(100),
    skills            JSONB,
    location          VARCHAR(100),
    location_detail   TEXT,
    deadline          VARCHAR(50),
    verified_employer BOOLEAN,
    last_update       VARCHAR(100),
    logo_url          TEXT,
    posted_time       TIMESTAMPTZ,
    crawled_at        TIMESTAMPTZ DEFAULT now()
);

DO $$
BEGIN
    -- Only create the legacy staging table when neither it nor its upgraded form exists.
    IF to_regclass('jobinsight_staging.staging_jobs') IS NULL
       AND to_regclass('jobinsight_staging.staging_jobs_data') IS NULL THEN
        CREATE TABLE jobinsight_staging.staging_jobs (
            job_id                    VARCHAR(20) PRIMARY KEY,
            title                     VARCHAR(255) NOT NULL,
            job_url                   TEXT,
            company_name              VARCHAR(200),
            company_url               TEXT,
            salary                    VARCHAR(100),
            skills                    JSONB,
            location                  VARCHAR(100),
            location_detail           TEXT,
            deadline                  VARCHAR(50),
            verified_employer         BOOLEAN,
            last_update               VARCHAR(100),
            logo_url                  TEXT,
            posted_time               TIMESTAMPTZ,
            crawled_at                TIMESTAMPTZ DEFAULT now(),
            title_clean               VARCHAR(255),
            company_name_standardized VARCHAR(200),
            salary_min                NUMERIC,
            salary_max                NUMERIC,
            salary_type               VARCHAR(20),
            location_pairs            JSONB,
            due_date                  TIMESTAMPTZ,
            time_remaining            TEXT
        );
    END IF;
END
$$;
