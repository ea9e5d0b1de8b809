-- test/load/verify.sql: after the load, one "name value" line per fact.
-- No lost update: for every cycle record, its final version equals its version
-- before the load plus the number of optimistic updates that reported
-- applied = true for it; each of those moved it by exactly one and no two
-- reported the same new version; a conflict (applied = false) always reported a
-- newer version than the one the client sent.
WITH a AS (
	SELECT rid, count(*) FILTER (WHERE applied) AS n FROM loadtest.track GROUP BY rid
)
SELECT 'lost_or_phantom_updates', count(*)
  FROM public.encrypted_cycle_data c
  JOIN loadtest.initial i USING (id)
  LEFT JOIN a ON a.rid = c.id
 WHERE c.version <> i.version + coalesce(a.n, 0)
UNION ALL
SELECT 'records_missing', (SELECT count(*) FROM loadtest.initial i
	WHERE NOT EXISTS (SELECT 1 FROM public.encrypted_cycle_data c WHERE c.id = i.id))
UNION ALL
SELECT 'bump_not_by_one', count(*) FROM loadtest.track WHERE applied AND got <> expected + 1
UNION ALL
SELECT 'duplicate_new_version', count(*) FROM (
	SELECT rid, got FROM loadtest.track WHERE applied GROUP BY rid, got HAVING count(*) > 1) d
UNION ALL
SELECT 'conflict_without_newer_version', count(*) FROM loadtest.track WHERE NOT applied AND got <= expected
UNION ALL
SELECT 'own_not_applied', count(*) FROM loadtest.track WHERE NOT hot AND NOT applied
UNION ALL
SELECT 'own_applied', count(*) FROM loadtest.track WHERE NOT hot AND applied
UNION ALL
SELECT 'hot_applied', count(*) FROM loadtest.track WHERE hot AND applied
UNION ALL
SELECT 'hot_conflicts', count(*) FROM loadtest.track WHERE hot AND NOT applied
UNION ALL
SELECT 'records_updated', count(DISTINCT rid) FROM loadtest.track WHERE applied
UNION ALL
SELECT 'version_sum_delta', (SELECT sum(c.version - i.version) FROM public.encrypted_cycle_data c JOIN loadtest.initial i USING (id));
