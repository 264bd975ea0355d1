-- Which raw rows a process run may take, and how runs claim batches without overlapping.
--
-- A claim is a range [lo_id, hi_id] of raw_jobs ids that no other live claim overlaps; the
-- run that holds it is the only one that processes eligible rows in that range. Claims are
-- taken under a transaction-level advisory lock (so two runs never pick the same range),
-- expire after a lease (so a crashed run's range is taken again), and are deleted by the
-- saving transaction marks its claim saved (and fails if the claim was lost, so a row is never
-- saved twice); a run that retries resumes its own unsaved claim first.
-- Claiming writes one small row per batch, not one per raw row, which keeps raw_jobs
-- updates to a single HOT update per processed row.

CREATE OR REPLACE FUNCTION jobinsight_monitoring.raw_is_eligible(
    p_mode text, p_is_processed boolean, p_process_error text, p_attempts integer, p_max_attempts integer
) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$
    SELECT CASE p_mode
        WHEN 'all' THEN true
        WHEN 'unprocessed' THEN NOT p_is_processed AND p_process_error IS NULL
        WHEN 'retry' THEN NOT p_is_processed AND p_process_error IS NOT NULL AND p_attempts < p_max_attempts
        ELSE false
    END
$$;

CREATE OR REPLACE FUNCTION jobinsight_monitoring.claim_batch(
    p_run_id text, p_mode text, p_after bigint, p_limit integer, p_lease_seconds integer,
    p_max_attempts integer DEFAULT 3
) RETURNS TABLE (claim_id bigint, lo_id bigint, hi_id bigint, n_rows integer)
LANGUAGE plpgsql AS
$$
DECLARE
    v_first bigint;
    v_bound bigint;
    v_lo    bigint;
    v_hi    bigint;
    v_n     integer;
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

    SELECT r.id INTO v_first
      FROM public.raw_jobs r
     WHERE r.id > p_after
       AND jobinsight_monitoring.raw_is_eligible(p_mode, r.is_processed, r.process_error,
                                                 r.process_attempts, p_max_attempts)
       AND NOT EXISTS (SELECT 1 FROM jobinsight_monitoring.batch_claims c
                        WHERE c.saved_at IS NULL AND r.id BETWEEN c.lo_id AND c.hi_id)
     ORDER BY r.id
     LIMIT 1;
    IF v_first IS NULL THEN
        RETURN;
    END IF;

    -- The range must stop before the next live claim so ranges never overlap.
    SELECT min(c.lo_id) INTO v_bound
      FROM jobinsight_monitoring.batch_claims c
     WHERE c.saved_at IS NULL AND c.lo_id > v_first;

    SELECT min(s.id), max(s.id), count(*) INTO v_lo, v_hi, v_n
      FROM (SELECT r.id
              FROM public.raw_jobs r
             WHERE r.id >= v_first
               AND (v_bound IS NULL OR r.id < v_bound)
               AND jobinsight_monitoring.raw_is_eligible(p_mode, r.is_processed, r.process_error,
                                                         r.process_attempts, p_max_attempts)
             ORDER BY r.id
             LIMIT p_limit) s;

    RETURN QUERY
    INSERT INTO jobinsight_monitoring.batch_claims AS c (run_id, mode, lo_id, hi_id, n_rows, claimed_until)
    VALUES (p_run_id, p_mode, v_lo, v_hi, v_n, now() + make_interval(secs => p_lease_seconds))
    RETURNING c.claim_id, c.lo_id, c.hi_id, c.n_rows;
END
$$;
