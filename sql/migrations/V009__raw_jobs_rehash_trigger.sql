-- Other writers of raw_jobs (an external crawler, a person fixing a row by hand) change content
-- with plain SQL and do not know about content_hash or is_processed. Before this trigger their
-- change never reached staging: only our upsert updated the hash and cleared is_processed.
--
-- The trigger recomputes the hash (public.jobinsight_content_hash with the detail columns, the one
-- definition, as V008 and the raw upsert use it) when a row's content changed but its hash did not,
-- and then marks the row for processing again. It stays out of the product's own bulk writes:
--   * our upsert always sets content_hash itself: on INSERT the WHEN clause skips rows that come
--     with a hash, and on UPDATE a changed hash (or unchanged hashed content: the WHEN clause
--     compares exactly the values the hash covers, so a re-crawl that only refreshes
--     payload.fetched_at skips it) skips the row;
--   * the process flow's save only sets is_processed/process_date/process_error, which are not
--     in the UPDATE OF list, so the trigger is not even called.

CREATE OR REPLACE FUNCTION public.jobinsight_raw_jobs_rehash() RETURNS trigger
LANGUAGE plpgsql AS
$$
DECLARE
    v_hash text := public.jobinsight_content_hash(
        NEW.title, NEW.job_url, NEW.company_name, NEW.company_url, NEW.salary, NEW.skills, NEW.location,
        NEW.location_detail, NEW.deadline, NEW.verified_employer, NEW.logo_url, NEW.payload,
        jsonb_build_object('description', NEW.description, 'requirements', NEW.requirements,
            'benefits', NEW.benefits, 'job_level', NEW.job_level,
            'experience', NEW.experience, 'education', NEW.education,
            'openings', NEW.openings, 'employment_type', NEW.employment_type,
            'job_category', NEW.job_category, 'work_locations', NEW.work_locations));
BEGIN
    IF TG_OP = 'INSERT' THEN
        NEW.content_hash := v_hash;
    ELSIF NEW.content_hash IS DISTINCT FROM v_hash THEN
        -- new content: processed again from scratch, like a changed row from our own upsert
        NEW.content_hash := v_hash;
        NEW.is_processed := false;
        NEW.process_error := NULL;
        NEW.process_attempts := 0;
    END IF;
    RETURN NEW;
END
$$;

DROP TRIGGER IF EXISTS jobinsight_raw_jobs_rehash_insert ON public.raw_jobs;
CREATE TRIGGER jobinsight_raw_jobs_rehash_insert
    BEFORE INSERT ON public.raw_jobs
    FOR EACH ROW
    WHEN (NEW.content_hash IS NULL)
    EXECUTE FUNCTION public.jobinsight_raw_jobs_rehash();

DROP TRIGGER IF EXISTS jobinsight_raw_jobs_rehash_update ON public.raw_jobs;
CREATE TRIGGER jobinsight_raw_jobs_rehash_update
    BEFORE UPDATE OF title, job_url, company_name, company_url, salary, skills, location, location_detail,
                     deadline, verified_employer, logo_url, payload, description, requirements, benefits,
                     job_level, experience, education, openings, employment_type, job_category, work_locations
    ON public.raw_jobs
    FOR EACH ROW
    WHEN (NEW.content_hash IS NOT DISTINCT FROM OLD.content_hash
          AND (NEW.title, NEW.job_url, NEW.company_name, NEW.company_url, NEW.salary, NEW.skills, NEW.location,
               NEW.location_detail, NEW.deadline, NEW.verified_employer, NEW.logo_url,
               NEW.payload -> 'description', NEW.payload -> 'requirements', NEW.payload -> 'base_salary',
               NEW.payload -> 'level', NEW.payload -> 'work_type', NEW.description, NEW.requirements,
               NEW.benefits, NEW.job_level, NEW.experience, NEW.education, NEW.openings, NEW.employment_type,
               NEW.job_category, NEW.work_locations)
              IS DISTINCT FROM
              (OLD.title, OLD.job_url, OLD.company_name, OLD.company_url, OLD.salary, OLD.skills, OLD.location,
               OLD.location_detail, OLD.deadline, OLD.verified_employer, OLD.logo_url,
               OLD.payload -> 'description', OLD.payload -> 'requirements', OLD.payload -> 'base_salary',
               OLD.payload -> 'level', OLD.payload -> 'work_type', OLD.description, OLD.requirements,
               OLD.benefits, OLD.job_level, OLD.experience, OLD.education, OLD.openings, OLD.employment_type,
               OLD.job_category, OLD.work_locations))
    EXECUTE FUNCTION public.jobinsight_raw_jobs_rehash();

-- Rows other writers inserted before this migration without a hash get one now (and stay eligible).
UPDATE public.raw_jobs
   SET content_hash = public.jobinsight_content_hash(
           title, job_url, company_name, company_url, salary, skills, location,
           location_detail, deadline, verified_employer, logo_url, payload,
           jsonb_build_object('description', description, 'requirements', requirements, 'benefits', benefits,
               'job_level', job_level, 'experience', experience, 'education', education,
               'openings', openings, 'employment_type', employment_type,
               'job_category', job_category, 'work_locations', work_locations))
 WHERE content_hash IS NULL;
