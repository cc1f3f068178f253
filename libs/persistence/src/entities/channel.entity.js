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
exports.ChannelEntity = void 0;
const typeorm_1 = require("typeorm");
const device_entity_1 = require("./device.entity");
/**
 * One catalog item of a device (GB/T 28181-2016 §A.2.4.5 Catalog response `<Item>`): a camera channel,
 * or a tree node (civil code, business group, virtual organisation). The tree is given by `parentId`
 * (and, for civil-code trees, by `civilCode`); a parent may be a node that is itself a row here.
 * Free-text columns are unbounded varchar: a hostile device's long name must not fail a whole catalog;
 * the gateway bounds sizes before it gets here.
 */
let ChannelEntity = class ChannelEntity {
    deviceId;
    channelId;
    device;
    name;
    manufacturer;
    model;
    owner;
    civilCode;
    block;
    address;
    /** `<Parental>`: 1 when the item has children. */
    parental;
    parentId;
    ipAddress;
    port;
    /** `<Status>` as sent: usually ON/OFF, some devices send ONLINE/OFFLINE or 1/0. */
    status;
    longitude;
    latitude;
    /** `<Info><PTZType>`: 1 dome, 2 half-dome, 3 fixed box, 4 remote-controlled fixed. */
    ptzType;
    /** The whole parsed `<Item>`, for fields without a column. */
    raw;
    updatedAt;
};
exports.ChannelEntity = ChannelEntity;
__decorate([
    (0, typeorm_1.PrimaryColumn)({ name: 'device_id', type: 'varchar', length: 32, primaryKeyConstraintName: 'pk_channels' }),
    __metadata("design:type", String)
], ChannelEntity.prototype, "deviceId", void 0);
__decorate([
    (0, typeorm_1.PrimaryColumn)({ name: 'channel_id', type: 'varchar', length: 64, primaryKeyConstraintName: 'pk_channels' }),
    __metadata("design:type", String)
], ChannelEntity.prototype, "channelId", void 0);
__decorate([
    (0, typeorm_1.ManyToOne)(() => device_entity_1.DeviceEntity, { onDelete: 'CASCADE' }),
    (0, typeorm_1.JoinColumn)({ name: 'device_id', referencedColumnName: 'deviceId', foreignKeyConstraintName: 'fk_channels_device' }),
    __metadata("design:type", device_entity_1.DeviceEntity)
], ChannelEntity.prototype, "device", void 0);
__decorate([
    (0, typeorm_1.Column)({ name: 'name', type: 'varchar', nullable: true }),
    __metadata("design:type", Object)
], ChannelEntity.prototype, "name", void 0);
__decorate([
    (0, typeorm_1.Column)({ name: 'manufacturer', type: 'varchar', nullable: true }),
    __metadata("design:type", Object)
], ChannelEntity.prototype, "manufacturer", void 0);
__decorate([
    (0, typeorm_1.Column)({ name: 'model', type: 'varchar', nullable: true }),
    __metadata("design:type", Object)
], ChannelEntity.prototype, "model", void 0);
__decorate([
    (0, typeorm_1.Column)({ name: 'owner', type: 'varchar', nullable: true }),
    __metadata("design:type", Object)
], ChannelEntity.prototype, "owner", void 0);
__decorate([
    (0, typeorm_1.Column)({ name: 'civil_code', type: 'varchar', nullable: true }),
    __metadata("design:type", Object)
], ChannelEntity.prototype, "civilCode", void 0);
__decorate([
    (0, typeorm_1.Column)({ name: 'block', type: 'varchar', nullable: true }),
    __metadata("design:type", Object)
], ChannelEntity.prototype, "block", void 0);
__decorate([
    (0, typeorm_1.Column)({ name: 'address', type: 'varchar', nullable: true }),
    __metadata("design:type", Object)
], ChannelEntity.prototype, "address", void 0);
__decorate([
    (0, typeorm_1.Column)({ name: 'parental', type: 'int', nullable: true }),
    __metadata("design:type", Object)
], ChannelEntity.prototype, "parental", void 0);
__decorate([
    (0, typeorm_1.Column)({ name: 'parent_id', type: 'varchar', nullable: true }),
    __metadata("design:type", Object)
], ChannelEntity.prototype, "parentId", void 0);
__decorate([
    (0, typeorm_1.Column)({ name: 'ip_address', type: 'varchar', nullable: true }),
    __metadata("design:type", Object)
], ChannelEntity.prototype, "ipAddress", void 0);
__decorate([
    (0, typeorm_1.Column)({ name: 'port', type: 'int', nullable: true }),
    __metadata("design:type", Object)
], ChannelEntity.prototype, "port", void 0);
__decorate([
    (0, typeorm_1.Column)({ name: 'status', type: 'varchar', nullable: true }),
    __metadata("design:type", Object)
], ChannelEntity.prototype, "status", void 0);
__decorate([
    (0, typeorm_1.Column)({ name: 'longitude', type: 'double precision', nullable: true }),
    __metadata("design:type", Object)
], ChannelEntity.prototype, "longitude", void 0);
__decorate([
    (0, typeorm_1.Column)({ name: 'latitude', type: 'double precision', nullable: true }),
    __metadata("design:type", Object)
], ChannelEntity.prototype, "latitude", void 0);
__decorate([
    (0, typeorm_1.Column)({ name: 'ptz_type', type: 'int', nullable: true }),
    __metadata("design:type", Object)
], ChannelEntity.prototype, "ptzType", void 0);
__decorate([
    (0, typeorm_1.Column)({ name: 'raw', type: 'jsonb', nullable: true }),
    __metadata("design:type", Object)
], ChannelEntity.prototype, "raw", void 0);
__decorate([
    (0, typeorm_1.UpdateDateColumn)({ name: 'updated_at', type: 'timestamptz' }),
    __metadata("design:type", Date)
], ChannelEntity.prototype, "updatedAt", void 0);
exports.ChannelEntity = ChannelEntity = __decorate([
    (0, typeorm_1.Entity)({ name: 'channels' }),
    (0, typeorm_1.Index)('idx_channels_device_parent', ['deviceId', 'parentId']),
    (0, typeorm_1.Index)('idx_channels_civil_code', ['civilCode'])
], ChannelEntity);
//# sourceMappingURL=channel.entity.js.map