import { Check, Column, Entity, PrimaryColumn, Unique } from 'typeorm';

/**
 * A stream proxy (issue 12 item 1): a channel whose source is a URL (rtsp://, rtmp://, http(s):// FLV or HLS, srt://)
 * pulled by the gateway, or (mode 'push') an RTMP publish the gateway receives, checked against `pushKey`. `serial` numbers it for its virtual channel ID (apps/gateway/src/proxies/proxy-ids.ts) and is
 * never reused while the row lives. The password is kept in plain text: the gateway must send it to the source
 * (RTSP Digest needs it, as do rtmp://user:pass@); the API never returns it.
 */
@Entity({ name: 'stream_proxies' })
@Unique('uq_stream_proxies_serial', ['serial'])
@Check('chk_stream_proxies_mode', `"mode" IN ('on-demand', 'always', 'push')`)
@Check('chk_stream_proxies_source', `("mode" = 'push') = ("url" IS NULL) AND ("mode" = 'push') = ("push_key" IS NOT NULL)`)
export class StreamProxyEntity {
  @PrimaryColumn({ name: 'id', type: 'uuid', primaryKeyConstraintName: 'pk_stream_proxies' })
  id!: string;

  @Column({ name: 'serial', type: 'integer' })
  serial!: number;

  @Column({ name: 'name', type: 'varchar', length: 64 })
  name!: string;

  /** The source of a pull; null in push mode. */
  @Column({ name: 'url', type: 'varchar', length: 2048, nullable: true })
  url!: string | null;

  @Column({ name: 'mode', type: 'varchar', length: 16 })
  mode!: string;

  @Column({ name: 'username', type: 'varchar', length: 128, nullable: true })
  username!: string | null;

  @Column({ name: 'password', type: 'varchar', length: 128, nullable: true })
  password!: string | null;

  /** Push mode: the secret an encoder must put in its publish URL (?key=); null for pulls. */
  @Column({ name: 'push_key', type: 'varchar', length: 64, nullable: true })
  pushKey!: string | null;

  @Column({ name: 'created_at', type: 'timestamp with time zone' })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: 'timestamp with time zone' })
  updatedAt!: Date;
}
