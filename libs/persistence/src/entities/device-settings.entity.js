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
exports.DEFAULT_DEVICE_SETTINGS = exports.DeviceSettingsEntity = exports.STREAM_TRANSPORTS = exports.DEVICE_CHARSETS = void 0;
const typeorm_1 = require("typeorm");
const device_entity_1 = require("./device.entity");
exports.DEVICE_CHARSETS = ['auto', 'GB2312', 'GBK', 'GB18030', 'UTF-8'];
exports.STREAM_TRANSPORTS = ['udp', 'tcp-passive', 'tcp-active'];
/** Operator choices for one device; a device without a row uses the defaults below. */
let DeviceSettingsEntity = class DeviceSettingsEntity {
    deviceId;
    device;
    /**
     * Per-device SIP digest password. Stored in plain text on purpose: the registrar must compute
     * HA1 = MD5(username:realm:password) (RFC 2617 §3.2.2.2), so a one-way hash cannot serve.
     * null = the gateway-wide SIP_PASSWORD applies.
     */
    password;
    /** Charset of the device's MANSCDP bodies; 'auto' lets the gateway decide per message. */
    charset;
    /** How the device sends RTP: UDP, or RTP over TCP (RFC 4571) with the gateway listening or dialling. */
    streamTransport;
};
exports.DeviceSettingsEntity = DeviceSettingsEntity;
__decorate([
    (0, typeorm_1.PrimaryColumn)({ name: 'device_id', type: 'varchar', length: 32, primaryKeyConstraintName: 'pk_device_settings' }),
    __metadata("design:type", String)
], DeviceSettingsEntity.prototype, "deviceId", void 0);
__decorate([
    (0, typeorm_1.OneToOne)(() => device_entity_1.DeviceEntity, { onDelete: 'CASCADE' }),
    (0, typeorm_1.JoinColumn)({ name: 'device_id', referencedColumnName: 'deviceId', foreignKeyConstraintName: 'fk_device_settings_device' }),
    __metadata("design:type", device_entity_1.DeviceEntity)
], DeviceSettingsEntity.prototype, "device", void 0);
__decorate([
    (0, typeorm_1.Column)({ name: 'password', type: 'varchar', nullable: true }),
    __metadata("design:type", Object)
], DeviceSettingsEntity.prototype, "password", void 0);
__decorate([
    (0, typeorm_1.Column)({ name: 'charset', type: 'varchar', length: 16, default: 'auto' }),
    __metadata("design:type", String)
], DeviceSettingsEntity.prototype, "charset", void 0);
__decorate([
    (0, typeorm_1.Column)({ name: 'stream_transport', type: 'varchar', length: 16, default: 'tcp-passive' }),
    __metadata("design:type", String)
], DeviceSettingsEntity.prototype, "streamTransport", void 0);
exports.DeviceSettingsEntity = DeviceSettingsEntity = __decorate([
    (0, typeorm_1.Entity)({ name: 'device_settings' }),
    (0, typeorm_1.Check)('chk_device_settings_charset', `"charset" IN ('auto', 'GB2312', 'GBK', 'GB18030', 'UTF-8')`),
    (0, typeorm_1.Check)('chk_device_settings_stream_transport', `"stream_transport" IN ('udp', 'tcp-passive', 'tcp-active')`)
], DeviceSettingsEntity);
exports.DEFAULT_DEVICE_SETTINGS = Object.freeze({
    password: null,
    charset: 'auto',
    streamTransport: 'tcp-passive',
});
//# sourceMappingURL=device-settings.entity.js.map