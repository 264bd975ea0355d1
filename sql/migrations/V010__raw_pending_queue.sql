-- Finding eligible raw rows through a small queue of the unprocessed ones, not by walking raw_jobs.
--
-- Why: claim_batch, the loader, count_eligible and rows_left found eligible rows by scanning
-- raw_jobs in id order (or whole), so 1,000 new rows over 1M processed ones cost a walk over
-- 1M rows several times per run (~2 s). An index that finds unprocessed rows directly would
-- have to mention is_processed, and an indexed column turns the save's flag update from a HOT
-- update into one that inserts into every index of raw_jobs: measured on 300k rows, that update
-- took 6.4-9.1 s instead of 2.7 s. So the unprocessed ids live in their own narrow table:
--
--   jobinsight_monitoring.raw_pending holds the id of every raw row with NOT is_processed
--   (possibly more: an id whose row was marked processed by someone other than the save, or
--   deleted, stays until it is seen; readers always re-check the raw row, so an extra id is
--   skipped, never processed twice).
--
-- Who keeps it:
--   * INSERT into raw_jobs (our upsert, the synthetic generator, other writers): one
--     statement-level trigger adds the new unprocessed ids, set-based;
--   * an UPDATE that makes a processed row unprocessed again (our upsert on changed content,
--     the V009 rehash trigger, a person re-queueing rows by hand): a row-level trigger whose WHEN
--     clause is false for every other update, so the save's 1M flag updates never call it;
--   * the save removes the ids it marks processed, in the same statement (and so the same
--     transaction) that marks them; the raw rows are locked by that update, so a concurrent
--     writer that makes one unprocessed again waits for the save and then adds its id back;
--   * DELETE and TRUNCATE of raw_jobs drop the ids with them.

CREATE TABLE IF NOT EXISTS jobinsight_monitoring.raw_pending (
    raw_id bigint PRIMARY KEY
);
-- Each save deletes up to a batch of ids: vacuum after every 10,000 dead entries, whatever the
-- table's size (it is narrow, so that is cheap), so walks of the queue do not step over them.
ALTER TABLE jobinsight_monitoring.raw_pending
    SET (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 10000);

CREATE OR REPLACE FUNCTION public.jobinsight_raw_pending_added() RETURNS trigger
LANGUAGE plpgsql AS
$$
BEGIN
    INSERT INTO jobinsight_monitoring.raw_pending (raw_id)
    SELECT n.id FROM jobinsight_raw_added n WHERE NOT n.is_processed
    ON CONFLICT (raw_id) DO NOTHING;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION public.jobinsight_raw_pending_requeued() RETURNS trigger
LANGUAGE plpgsql AS
$$
BEGIN
    INSERT INTO jobinsight_monitoring.raw_pending (raw_id) VALUES (NEW.id) ON CONFLICT (raw_id) DO NOTHING;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION public.jobinsight_raw_pending_removed() RETURNS trigger
LANGUAGE plpgsql AS
$$
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        TRUNCATE jobinsight_monitoring.raw_pending;
    ELSE
        DELETE FROM jobinsight_monitoring.raw_pending p USING jobinsight_raw_removed o WHERE p.raw_id = o.id;
    END IF;
    RETURN NULL;
END
$$;

DROP TRIGGER IF EXISTS jobinsight_raw_pending_insert ON public.raw_jobs;
CREATE TRIGGER jobinsight_raw_pending_insert
    AFTER INSERT ON public.raw_jobs
    REFERENCING NEW TABLE AS jobinsight_raw_added
    FOR EACH STATEMENT
    EXECUTE FUNCTION public.jobinsight_raw_pending_added();

-- No column list (UPDATE OF is_processed would miss the V009 trigger setting it in NEW): the WHEN
-- clause, evaluated in C per row, keeps the function out of every update that does not requeue.
DROP TRIGGER IF EXISTS jobinsight_raw_pending_update ON public.raw_jobs;
CREATE TRIGGER jobinsight_raw_pending_update
    AFTER UPDATE ON public.raw_jobs
    FOR EACH ROW
    WHEN (NOT NEW.is_processed AND (OLD.is_processed OR NEW.id IS DISTINCT FROM OLD.id))
    EXECUTE FUNCTION public.jobinsight_raw_pending_requeued();

DROP TRIGGER IF EXISTS jobinsight_raw_pending_delete ON public.raw_jobs;
CREATE TRIGGER jobinsight_raw_pending_delete
    AFTER DELETE ON public.raw_jobs
    REFERENCING OLD TABLE AS jobinsight_raw_removed
    FOR EACH STATEMENT
    EXECUTE FUNCTION public.jobinsight_raw_pending_removed();

DROP TRIGGER IF EXISTS jobinsight_raw_pending_truncate ON public.raw_jobs;
CREATE TRIGGER jobinsight_raw_pending_truncate
    AFTER TRUNCATE ON public.raw_jobs
    FOR EACH STATEMENT
    EXECUTE FUNCTION public.jobinsight_raw_pending_removed();

-- Rows already there. The triggers above exist from here on in this transaction, and creating
-- them locked raw_jobs against writers, so no row becomes unprocessed between the two.
INSERT INTO jobinsight_monitoring.raw_pending (raw_id)
SELECT r.id FROM public.raw_jobs r WHERE NOT r.is_processed
ON CONFLICT (raw_id) DO NOTHING;

-- claim_batch as in V005, with the eligible rows found through raw_pending for the modes that
-- only take unprocessed rows ('unprocessed', 'retry'); 'all' still walks raw_jobs. Queries run
-- through EXECUTE so each is planned with the run's values (a cached generic plan could pick a
-- join that reads raw_jobs from its first row). The raw row is always re-checked.
--
-- The range: the first eligible id, then up to p_limit queued ids from it (an index-only walk of
-- the narrow queue) give its upper end; the eligible rows up to there (at most p_limit, since
-- every eligible row is queued) are the claim. Where those ids are dense (they fill more than a
-- quarter of their id span: a first run, new rows in a block) they are read by walking raw_jobs'
-- id range, ~4x cheaper than probing raw_jobs once
-- per queued id; where they are sparse (changed rows spread over 1M processed ones) through the queue.
CREATE OR REPLACE FUNCTION jobinsight_monitoring.claim_batch(
    p_run_id text, p_mode text, p_after bigint, p_limit integer, p_lease_seconds integer,
    p_max_attempts integer DEFAULT 3
) RETURNS TABLE (claim_id bigint, lo_id bigint, hi_id bigint, n_rows integer)
LANGUAGE plpgsql AS
$$
DECLARE
    v_first bigint;
    v_bound bigint;
    v_end   bigint;
    v_queued bigint;
    v_lo    bigint;
    v_hi    bigint;
    v_n     integer;
    v_check text := ' AND jobinsight_monitoring.raw_is_eligible($2, r.is_processed, r.process_error, '
                    'r.process_attempts, $3)';
    v_queue text := 'SELECT r.id FROM jobinsight_monitoring.raw_pending p JOIN public.raw_jobs r ON r.id = p.raw_id '
                    'WHERE p.raw_id >= $1 AND r.id >= $1 AND NOT r.is_processed';
    v_walk  text := 'SELECT r.id FROM public.raw_jobs r WHERE r.id >= $1';
BEGIN
    IF p_mode NOT IN ('all', 'unprocessed', 'retry') THEN
        RAISE EXCEPTION 'unknown claim mode %', p_mode USING ERRCODE = '22023';
    END IF;
    PERFORM pg_advisory_xact_lock(hashtextextended('jobinsight.batch_claims', 0));

    -- Resume this run's own unsaved claim ahead of its cursor (a retried flow run starts again
    -- from 0) before taking a new one; a claim behind the cursor is still being saved.
    RETURN QUERY
    SELECT c.claim_id, c.lo_id, c.hi_id, c.n_rows
      FROM jobinsight_monitoring.batch_claims c
     WHERE c.run_id = p_run_id AND c.saved_at IS NULL AND c.claimed_until >= now() AND c.lo_id > p_after
     ORDER BY c.lo_id
     LIMIT 1;
    IF FOUND THEN
        RETURN;
    END IF;

    -- Expired claims are free again; saved ones are kept a day so a retried save can see it ran.
    DELETE FROM jobinsight_monitoring.batch_claims c
     WHERE (c.saved_at IS NULL AND c.claimed_until < now())
        OR c.saved_at < now() - interval '1 day';

    EXECUTE CASE WHEN p_mode = 'all' THEN v_walk ELSE v_queue END || v_check
            || ' AND NOT EXISTS (SELECT 1 FROM jobinsight_monitoring.batch_claims c '
               'WHERE c.saved_at IS NULL AND r.id BETWEEN c.lo_id AND c.hi_id) ORDER BY r.id LIMIT 1'
       INTO v_first
      USING p_after + 1, p_mode, p_max_attempts;
    IF v_first IS NULL THEN
        RETURN;
    END IF;

    -- The range must stop before the next live claim so ranges never overlap.
    SELECT min(c.lo_id) INTO v_bound
      FROM jobinsight_monitoring.batch_claims c
     WHERE c.saved_at IS NULL AND c.lo_id > v_first;

    IF p_mode = 'all' THEN
        EXECUTE 'SELECT min(s.id), max(s.id), count(*) FROM (' || v_walk || v_check
                || ' AND ($4::bigint IS NULL OR r.id < $4) ORDER BY r.id LIMIT $5) s'
           INTO v_lo, v_hi, v_n
          USING v_first, p_mode, p_max_attempts, v_bound, p_limit;
    ELSE
        SELECT max(q.raw_id), count(*) INTO v_end, v_queued
          FROM (SELECT p.raw_id FROM jobinsight_monitoring.raw_pending p
                 WHERE p.raw_id >= v_first AND (v_bound IS NULL OR p.raw_id < v_bound)
                 ORDER BY p.raw_id LIMIT p_limit) q;
        EXECUTE 'SELECT min(s.id), max(s.id), count(*) FROM ('
                || CASE WHEN v_end - v_first < 4 * v_queued THEN v_walk || ' AND NOT r.is_processed'
                        ELSE v_queue END
                || v_check || ' AND r.id <= $4) s'
           INTO v_lo, v_hi, v_n
          USING v_first, p_mode, p_max_attempts, v_end;
    END IF;
    IF coalesce(v_n, 0) = 0 THEN
        RETURN;
    END IF;

    RETURN QUERY
    INSERT INTO jobinsight_monitoring.batch_claims AS c (run_id, mode, lo_id, hi_id, n_rows, claimed_until)
    VALUES (p_run_id, p_mode, v_lo, v_hi, v_n, now() + make_interval(secs => p_lease_seconds))
    RETURNING c.claim_id, c.lo_id, c.hi_id, c.n_rows;
END
$$;
