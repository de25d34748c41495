import { describe, expect, it } from 'vitest';
import { fmtDuration, healthSummary } from '../src/lib/status';

describe('status summary', () => {
  it('gives durations with units', () => {
    expect(fmtDuration(0)).toBe('0 s');
    expect(fmtDuration(365)).toBe('6 min 5 s');
    expect(fmtDuration(3 * 3600 + 120)).toBe('3 h 2 min');
    expect(fmtDuration(2 * 86400 + 3600)).toBe('2 d 1 h');
  });
  it('summarises readiness, pools, queue fill and backlog', () => {
    const status = {
      start_since: 365, generation: 1,
      pools: { admin: { workers_configured: 4, workers_busy: 4, workers_idle: 0, restarts_total: 0 }, ingest: { workers_configured: 2, workers_busy: 0, workers_idle: 2 } },
      log_queue: { depth_entries: 900, capacity_entries: 1000, lag_entries: 12, refused_total: 0, flusher: { up: false, heartbeat_age_ms: 40 } },
      sync: { redis_snapshot_present: true, redis_version: 7, outbox_pending: 3 },
    };
    const ready = { status: 'not_ready', checks: { db: { ok: true }, redis: { ok: false, error: 'timeout' } } };
    const by = Object.fromEntries(healthSummary(status, ready).map((h) => [h.id, h]));
    expect(by['ready']).toMatchObject({ value: 'not ready', bad: true, sub: 'failing: redis: timeout' });
    expect(by['uptime']!.value).toBe('6 min 5 s');
    expect(by['pool-admin']).toMatchObject({ value: '4 of 4 busy', bad: true });
    expect(by['pool-ingest']).toMatchObject({ value: '0 of 2 busy', bad: false });
    expect(by['queue']).toMatchObject({ value: '90 %', bad: true });
    expect(by['flush-backlog']).toMatchObject({ value: '12 entries', bad: true, sub: 'flusher down, heartbeat 40 ms ago' });
    expect(by['redis']!.value).toBe('version 7');
    expect(by['backlog-sync.outbox_pending']).toMatchObject({ value: '3', bad: true });
  });
});
