"use strict";
var __decorate = (this && this.__decorate) || function (decorators, target, key, desc) {
    var c = arguments.length, r = c < 3 ? target : desc === null ? desc = Object.getOwnPropertyDescriptor(target, key) : desc, d;
    if (typeof Reflect === "object" && typeof Reflect.decorate === "function") r = Reflect.decorate(decorators, target, key, desc);
    else for (var i = decorators.length - 1; i >= 0; i--) if (d = decorators[i]) r = (c < 3 ? d(r) : c > 3 ? d(target, key, r) : d(target, key)) || r;
    return c > 3 && r && Object.defineProperty(target, key, r), r;
};
var __metadata = (this && this.__metadata) || function (k, v) {
    if (typeof Reflect === "object" && typeof Reflect.metadata === "function") return Reflect.metadata(k, v);
};
Object.defineProperty(exports, "__esModule", { value: true });
exports.DeviceEntity = void 0;
const typeorm_1 = require("typeorm");
/**
 * A GB/T 28181 device (NVR, IPC, lower-level platform) as last seen by the registrar.
 * Column types are always given explicitly: test runners do not emit decorator metadata.
 */
let DeviceEntity = class DeviceEntity {
    /** 20-digit GB/T 28181 ID (§ Annex D); 32 leaves room for non-conforming devices. */
    deviceId;
    name;
    /** SIP transport the device registered over. */
    transport;
    /** Source address of the device's last REGISTER/keepalive (where requests are sent). */
    remoteHost;
    remotePort;
    /** The gateway address the device reached (the local socket), used for replies and Via/Contact. */
    localHost;
    localPort;
    contactUri;
    /** Registration lifetime the registrar granted, seconds (RFC 3261 §10.2.1.1). */
    expires;
    registeredAt;
    registrationExpiresAt;
    lastKeepaliveAt;
    online;
    manufacturer;
    model;
    firmware;
    channelCount;
    catalogSyncedAt;
    createdAt;
    updatedAt;
};
exports.DeviceEntity = DeviceEntity;
__decorate([
    (0, typeorm_1.PrimaryColumn)({ name: 'device_id', type: 'varchar', length: 32, primaryKeyConstraintName: 'pk_devices' }),
    __metadata("design:type", String)
], DeviceEntity.prototype, "deviceId", void 0);
__decorate([
    (0, typeorm_1.Column)({ name: 'name', type: 'varchar', nullable: true }),
    __metadata("design:type", Object)
], DeviceEntity.prototype, "name", void 0);
__decorate([
    (0, typeorm_1.Column)({ name: 'transport', type: 'varchar', length: 8 }),
    __metadata("design:type", String)
], DeviceEntity.prototype, "transport", void 0);
__decorate([
    (0, typeorm_1.Column)({ name: 'remote_host', type: 'varchar', length: 64 }),
    __metadata("design:type", String)
], DeviceEntity.prototype, "remoteHost", void 0);
__decorate([
    (0, typeorm_1.Column)({ name: 'remote_port', type: 'int' }),
    __metadata("design:type", Number)
], DeviceEntity.prototype, "remotePort", void 0);
__decorate([
    (0, typeorm_1.Column)({ name: 'local_host', type: 'varchar', length: 64 }),
    __metadata("design:type", String)
], DeviceEntity.prototype, "localHost", void 0);
__decorate([
    (0, typeorm_1.Column)({ name: 'local_port', type: 'int' }),
    __metadata("design:type", Number)
], DeviceEntity.prototype, "localPort", void 0);
__decorate([
    (0, typeorm_1.Column)({ name: 'contact_uri', type: 'varchar', nullable: true }),
    __metadata("design:type", Object)
], DeviceEntity.prototype, "contactUri", void 0);
__decorate([
    (0, typeorm_1.Column)({ name: 'expires', type: 'int', default: 3600 }),
    __metadata("design:type", Number)
], DeviceEntity.prototype, "expires", void 0);
__decorate([
    (0, typeorm_1.Column)({ name: 'registered_at', type: 'timestamptz', nullable: true }),
    __metadata("design:type", Object)
], DeviceEntity.prototype, "registeredAt", void 0);
__decorate([
    (0, typeorm_1.Column)({ name: 'registration_expires_at', type: 'timestamptz', nullable: true }),
    __metadata("design:type", Object)
], DeviceEntity.prototype, "registrationExpiresAt", void 0);
__decorate([
    (0, typeorm_1.Column)({ name: 'last_keepalive_at', type: 'timestamptz', nullable: true }),
    __metadata("design:type", Object)
], DeviceEntity.prototype, "lastKeepaliveAt", void 0);
__decorate([
    (0, typeorm_1.Column)({ name: 'online', type: 'boolean', default: false }),
    __metadata("design:type", Boolean)
], DeviceEntity.prototype, "online", void 0);
__decorate([
    (0, typeorm_1.Column)({ name: 'manufacturer', type: 'varchar', nullable: true }),
    __metadata("design:type", Object)
], DeviceEntity.prototype, "manufacturer", void 0);
__decorate([
    (0, typeorm_1.Column)({ name: 'model', type: 'varchar', nullable: true }),
    __metadata("design:type", Object)
], DeviceEntity.prototype, "model", void 0);
__decorate([
    (0, typeorm_1.Column)({ name: 'firmware', type: 'varchar', nullable: true }),
    __metadata("design:type", Object)
], DeviceEntity.prototype, "firmware", void 0);
__decorate([
    (0, typeorm_1.Column)({ name: 'channel_count', type: 'int', default: 0 }),
    __metadata("design:type", Number)
], DeviceEntity.prototype, "channelCount", void 0);
__decorate([
    (0, typeorm_1.Column)({ name: 'catalog_synced_at', type: 'timestamptz', nullable: true }),
    __metadata("design:type", Object)
], DeviceEntity.prototype, "catalogSyncedAt", void 0);
__decorate([
    (0, typeorm_1.CreateDateColumn)({ name: 'created_at', type: 'timestamptz' }),
    __metadata("design:type", Date)
], DeviceEntity.prototype, "createdAt", void 0);
__decorate([
    (0, typeorm_1.UpdateDateColumn)({ name: 'updated_at', type: 'timestamptz' }),
    __metadata("design:type", Date)
], DeviceEntity.prototype, "updatedAt", void 0);
exports.DeviceEntity = DeviceEntity = __decorate([
    (0, typeorm_1.Entity)({ name: 'devices' }),
    (0, typeorm_1.Check)('chk_devices_transport', `"transport" IN ('udp', 'tcp')`)
], DeviceEntity);
//# sourceMappingURL=device.entity.js.map