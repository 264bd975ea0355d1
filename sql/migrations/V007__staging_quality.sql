-- Issue 13 (data quality): occupation code, place country/region, salary quality markers, title
-- truncation and the company rating split off the name. All nullable: rows staged before this
-- migration keep NULL until they are re-processed; the table is upgraded in place.

ALTER TABLE jobinsight_staging.staging_jobs_data
    ADD COLUMN IF NOT EXISTS occupation_isco text,
    ADD COLUMN IF NOT EXISTS country text,
    ADD COLUMN IF NOT EXISTS region text,
    ADD COLUMN IF NOT EXISTS salary_suspect boolean,
    ADD COLUMN IF NOT EXISTS salary_source text,
    ADD COLUMN IF NOT EXISTS title_truncated boolean,
    ADD COLUMN IF NOT EXISTS company_rating numeric;

COMMENT ON COLUMN jobinsight_staging.staging_jobs_data.occupation_isco IS
    'ISCO-08 sub-major group (2 digits) derived from job family, seniority and title; NULL when the family is other.';
COMMENT ON COLUMN jobinsight_staging.staging_jobs_data.country IS
    'ISO 3166-1 alpha-2 country of the posting''s place (VN for Vietnamese provinces, ZZ = abroad, country not stated).';
COMMENT ON COLUMN jobinsight_staging.staging_jobs_data.region IS
    'First-level region of a foreign place (US state, Canadian province, ...); NULL for Vietnamese places.';
COMMENT ON COLUMN jobinsight_staging.staging_jobs_data.salary_suspect IS
    'Monthly salary (salary_min/max, millions of VND) outside the plausible band 1-1000: kept, but flagged.';
COMMENT ON COLUMN jobinsight_staging.staging_jobs_data.salary_source IS
    'Where the salary was read: posted (the salary field), text (the description), NULL (no salary).';
COMMENT ON COLUMN jobinsight_staging.staging_jobs_data.title_truncated IS
    'The board cut the title short (it ended in an ellipsis, removed from title_clean).';
COMMENT ON COLUMN jobinsight_staging.staging_jobs_data.company_rating IS
    'Star rating a review board appended to the company name ("Tecolote Research\n3.8"), split off the name.';

-- The view exposes the new columns (appended, so CREATE OR REPLACE keeps the existing ones).
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
    d.enrichment_version, d.processed_at, d.run_id, d.time_remaining_snapshot,
    d.occupation_isco, d.country, d.region, d.salary_suspect, d.salary_source, d.title_truncated,
    d.company_rating
FROM jobinsight_staging.staging_jobs_data d;
