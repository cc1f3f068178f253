/**
 * NATS subjects of the distributed mode, under a prefix (default `gb`; tests use a unique one per run).
 * Mirrors `visionSubjects` in libs/contracts/src/vision.ts, which the gateway uses; a spec checks they
 * agree. Duplicated because the worker must run under tsx without @gb/contracts runtime values.
 */
export function workerSubjects(prefix: string) {
  return {
    /** Watch assignments, request/reply, queue group VISION_QUEUE_GROUP: exactly one worker takes each. */
    watch: `${prefix}.vision.watch`,
    /** Unwatch broadcast: every worker drops the channel if it holds it. */
    unwatch: `${prefix}.vision.unwatch`,
    /** Messages to one worker (unwatch, snapshot-request, watch). */
    control: (workerId: string) => `${prefix}.vision.control.${workerId}`,
    heartbeat: (workerId: string) => `${prefix}.vision.heartbeat.${workerId}`,
    score: (channelId: string) => `${prefix}.vision.score.${channelId}`,
    status: (channelId: string) => `${prefix}.vision.status.${channelId}`,
    snapshot: (channelId: string) => `${prefix}.vision.snapshot.${channelId}`,
  };
}

export const WORKER_QUEUE_GROUP = 'vision-workers';
