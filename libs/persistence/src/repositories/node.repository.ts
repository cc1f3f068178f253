import type { DataSource } from 'typeorm';

export interface NodeHeartbeat {
  nodeId: string;
  publicUrl: string | null;
  sipAddress: string | null;
  mediaIp: string | null;
  devices: number;
  streams: number;
  cpu: number;
}

export interface NodeRow extends NodeHeartbeat {
  startedAt: Date;
  heartbeatAt: Date;
  /** Heartbeat newer than the bound given to list(), judged by the database clock. */
  alive: boolean;
}

/** The nodes table. Times come from the database clock, so nodes with skewed clocks still agree on who is dead. */
export class NodeRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** First heartbeat of a run: (re)sets started_at. */
  async start(h: NodeHeartbeat): Promise<void> {
    await this.write(h, true);
  }

  async heartbeat(h: NodeHeartbeat): Promise<void> {
    await this.write(h, false);
  }

  private async write(h: NodeHeartbeat, starting: boolean): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO "nodes" ("node_id", "public_url", "sip_address", "media_ip", "started_at", "heartbeat_at", "devices", "streams", "cpu")
       VALUES ($1, $2, $3, $4, now(), now(), $5, $6, $7)
       ON CONFLICT ("node_id") DO UPDATE SET "public_url" = EXCLUDED."public_url", "sip_address" = EXCLUDED."sip_address",
         "media_ip" = EXCLUDED."media_ip", "heartbeat_at" = now(), "devices" = EXCLUDED."devices", "streams" = EXCLUDED."streams",
         "cpu" = EXCLUDED."cpu"${starting ? ', "started_at" = now()' : ''}`,
      [h.nodeId, h.publicUrl, h.sipAddress, h.mediaIp, h.devices, h.streams, h.cpu],
    );
  }

  async list(deadAfterMs: number): Promise<NodeRow[]> {
    const rows = (await this.dataSource.query(
      `SELECT *, "heartbeat_at" >= now() - make_interval(secs => $1::double precision / 1000) AS alive FROM "nodes" ORDER BY "node_id"`,
      [deadAfterMs],
    )) as Array<Record<string, unknown>>;
    return rows.map((r) => ({
      nodeId: r.node_id as string,
      publicUrl: (r.public_url as string | null) ?? null,
      sipAddress: (r.sip_address as string | null) ?? null,
      mediaIp: (r.media_ip as string | null) ?? null,
      startedAt: new Date(r.started_at as string),
      heartbeatAt: new Date(r.heartbeat_at as string),
      devices: Number(r.devices),
      streams: Number(r.streams),
      cpu: Number(r.cpu),
      alive: r.alive === true,
    }));
  }
}
