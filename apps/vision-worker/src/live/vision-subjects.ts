/**
 * NATS subjects of the distributed mode, under a prefix (default `gb`; tests use a unique one per run).
 * Mirrors `visionSubjects` in libs/contracts/src/vision.ts, which the gateway uses; a spec checks they
 * agree. Duplicated because the worker must run under tsx without @gb/contracts runtime values.
 */
export function workerSubjects(prefix: string) {
  return {
    /** Watch assignments, request/reply, queue group VISION_QUEUE_GROUP: exactly one worker takes each. */
    watch: `${prefix}.vision.watch`,
    /** Unwatch broadcast without a node: every worker drops the channel if it holds it. */
    unwatch: `${prefix}.vision.unwatch`,
    /** Messages to one worker (unwatch, snapshot-request, watch). */
    control: (workerId: string) => `${prefix}.vision.control.${workerId}`,
    heartbeat: (workerId: string) => `${prefix}.vision.heartbeat.${workerId}`,
    score: (channelId: string) => `${prefix}.vision.score.${channelId}`,
    status: (channelId: string) => `${prefix}.vision.status.${channelId}`,
    snapshot: (channelId: string) => `${prefix}.vision.snapshot.${channelId}`,
    /**
     * One gateway node's subjects: its channels' scores, statuses and snapshots, the worker's heartbeat listing
     * that node's channels, and the node's unwatch broadcast. `node` matches NODE_ID_PATTERN, or is `*` to
     * subscribe to every node's unwatch.
     */
    node: (node: string) => ({
      unwatch: `${prefix}.vision.node.${node}.unwatch`,
      heartbeat: (workerId: string) => `${prefix}.vision.node.${node}.heartbeat.${workerId}`,
      score: (channelId: string) => `${prefix}.vision.node.${node}.score.${channelId}`,
      status: (channelId: string) => `${prefix}.vision.node.${node}.status.${channelId}`,
      snapshot: (channelId: string) => `${prefix}.vision.node.${node}.snapshot.${channelId}`,
    }),
  };
}

export const WORKER_QUEUE_GROUP = 'vision-workers';

/** A gateway node ID: one NATS subject token. Mirrors VISION_NODE_ID_PATTERN in libs/contracts/src/vision.ts. */
export const NODE_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
