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
exports.AppSecretEntity = void 0;
const typeorm_1 = require("typeorm");
/** Generated application secrets (admin password hash, JWT signing secret), kept across restarts. */
let AppSecretEntity = class AppSecretEntity {
    key;
    value;
};
exports.AppSecretEntity = AppSecretEntity;
__decorate([
    (0, typeorm_1.PrimaryColumn)({ name: 'key', type: 'varchar', length: 128, primaryKeyConstraintName: 'pk_app_secrets' }),
    __metadata("design:type", String)
], AppSecretEntity.prototype, "key", void 0);
__decorate([
    (0, typeorm_1.Column)({ name: 'value', type: 'text' }),
    __metadata("design:type", String)
], AppSecretEntity.prototype, "value", void 0);
exports.AppSecretEntity = AppSecretEntity = __decorate([
    (0, typeorm_1.Entity)({ name: 'app_secrets' })
], AppSecretEntity);
//# sourceMappingURL=app-secret.entity.js.map