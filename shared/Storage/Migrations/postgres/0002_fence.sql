-- Lets a checkpoint run as one batch (one round trip, one implicit transaction): the batch's first statement updates
-- the workflow row under the worker's fencing token and calls this, which aborts the whole batch when the lease was lost.
CREATE FUNCTION sift_fence(fenced bigint, workflow uuid) RETURNS bigint LANGUAGE plpgsql AS $$
BEGIN
    IF fenced <> 1 THEN
        RAISE EXCEPTION 'lease lost on workflow %', workflow USING ERRCODE = 'SF001';
    END IF;
    RETURN fenced;
END;
$$;
