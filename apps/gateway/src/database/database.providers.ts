import { Inject, Injectable, OnApplicationShutdown, Provider } from '@nestjs/common';
import { openDatabase, type Database } from '@gb/persistence';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/config.schema';
import { SecretStore } from '../auth/secret-store';

export const DATABASE = Symbol('DATABASE');

export const databaseProvider: Provider = {
  provide: DATABASE,
  inject: [GATEWAY_CONFIG],
  useFactory: (cfg: GatewayConfig): Promise<Database> => openDatabase({ databaseUrl: cfg.DATABASE_URL, dataDir: cfg.DATA_DIR }),
};

/** Closes the database last, after the services that flush into it. */
@Injectable()
export class DatabaseLifecycle implements OnApplicationShutdown {
  constructor(@Inject(DATABASE) private readonly db: Database) {}
  async onApplicationShutdown(): Promise<void> {
    await this.db.close();
  }
}

@Injectable()
export class DatabaseSecretStore extends SecretStore {
  constructor(@Inject(DATABASE) private readonly db: Database) {
    super();
  }
  get(key: string): Promise<string | null> {
    return this.db.secrets.get(key);
  }
  set(key: string, value: string): Promise<void> {
    return this.db.secrets.set(key, value);
  }
  override getOrCreate(key: string, make: () => string): Promise<string> {
    return this.db.secrets.getOrCreate(key, make);
  }
}
