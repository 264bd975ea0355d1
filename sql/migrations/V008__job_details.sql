-- Detail pages (issue 12): the fields only a posting's detail page has, in raw and in staging.
--
-- raw_jobs: the detail page's text and general-info values as the board wrote them, the work
-- locations ([{city, address}]), when the detail was last read, and the listing card's own hash
-- (the crawler follows a card to its detail page when that hash changes). Listing and detail
-- records for one posting meet in one row keyed by (source, job_id).
-- staging: experience in months, openings, employment type and education level, parsed; rank,
-- category, work locations and the detail's age as they are.
-- Every statement keeps existing rows and values (upgrade in place).

ALTER TABLE public.raw_jobs
    ADD COLUMN IF NOT EXISTS description text,
    ADD COLUMN IF NOT EXISTS requirements text,
    ADD COLUMN IF NOT EXISTS benefits text,
    ADD COLUMN IF NOT EXISTS job_level text,
    ADD COLUMN IF NOT EXISTS experience text,
    ADD COLUMN IF NOT EXISTS education text,
    ADD COLUMN IF NOT EXISTS openings text,
    ADD COLUMN IF NOT EXISTS employment_type text,
    ADD COLUMN IF NOT EXISTS job_category text,
    ADD COLUMN IF NOT EXISTS work_locations jsonb,
    ADD COLUMN IF NOT EXISTS detail_scraped_at timestamptz,
    ADD COLUMN IF NOT EXISTS listing_hash text;

-- The content hash with the detail fields. When a row has none of them it equals the V002 hash,
-- so rows written before this migration are not seen as changed by the next crawl.
CREATE OR REPLACE FUNCTION public.jobinsight_content_hash(
    p_title text, p_job_url text, p_company_name text, p_company_url text, p_salary text,
    p_skills jsonb, p_location text, p_location_detail text, p_deadline text,
    p_verified_employer boolean, p_logo_url text, p_payload jsonb, p_detail jsonb
) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$
    SELECT CASE
        WHEN p_detail IS NULL OR jsonb_strip_nulls(p_detail) = '{}'::jsonb
        THEN public.jobinsight_content_hash(p_title, p_job_url, p_company_name, p_company_url, p_salary,
                                            p_skills, p_location, p_location_detail, p_deadline,
                                            p_verified_employer, p_logo_url, p_payload)
        ELSE md5(public.jobinsight_content_hash(p_title, p_job_url, p_company_name, p_company_url, p_salary,
                                                p_skills, p_location, p_location_detail, p_deadline,
                                                p_verified_employer, p_logo_url, p_payload)
                 || jsonb_strip_nulls(p_detail)::text)
    END
$$;

-- Staging keeps the short detail values; the long texts (description, requirements, benefits) stay
-- in raw_jobs, where the enricher reads them (skills, family, work mode).
ALTER TABLE jobinsight_staging.staging_jobs_data
    ADD COLUMN IF NOT EXISTS job_level text,
    ADD COLUMN IF NOT EXISTS job_category text,
    ADD COLUMN IF NOT EXISTS work_locations jsonb,
    ADD COLUMN IF NOT EXISTS experience_min_months integer,
    ADD COLUMN IF NOT EXISTS experience_max_months integer,
    ADD COLUMN IF NOT EXISTS openings integer,
    ADD COLUMN IF NOT EXISTS employment_type text,
    ADD COLUMN IF NOT EXISTS education_level text,
    ADD COLUMN IF NOT EXISTS detail_scraped_at timestamptz;

-- The view gains the new columns at its end. Its current definition is extended rather than
-- restated, so columns other migrations appended before this one are kept (CREATE OR REPLACE
-- VIEW may only append).
DO $$
DECLARE
    def text;
BEGIN
    def := pg_get_viewdef('jobinsight_staging.staging_jobs'::regclass, false);
    IF position('experience_min_months' IN def) = 0 THEN
        def := regexp_replace(
            def,
            '\s+FROM\s+jobinsight_staging\.staging_jobs_data\s+d\s*;?\s*$',
            ', d.job_level, d.job_category, d.work_locations,'
            ' d.experience_min_months, d.experience_max_months, d.openings, d.employment_type,'
            ' d.education_level, d.detail_scraped_at'
            ' FROM jobinsight_staging.staging_jobs_data d');
        IF position('experience_min_months' IN def) = 0 THEN
            RAISE EXCEPTION 'V008: unexpected definition of jobinsight_staging.staging_jobs: %', def;
        END IF;
        EXECUTE 'CREATE OR REPLACE VIEW jobinsight_staging.staging_jobs AS ' || def;
    END IF;
END
$$;
