# syntax=docker/dockerfile:1
# One image, two roles, chosen by the command (docs/operations.md, "Docker"):
#   gateway (default)  node --enable-source-maps dist/apps/gateway/apps/gateway/src/main.js
#   vision worker      node --enable-source-maps dist/apps/vision-worker/apps/vision-worker/src/main.js  (with NATS_URL)
# Everything is built here; the container runs no `npm ci` and no build at start (unlike `npm start`).
#
# The vision model (YOLOX-Nano, yolox_nano.onnx) is not in the repository and cannot be fetched while building
# offline. Put it in ./models before `docker build` (`DATA_DIR=. npm run vision:download-model` writes
# models/yolox_nano.onnx; or copy ../shared/models/yolox_nano.onnx there), or pick another folder inside the build
# context with `--build-arg MODEL_DIR=…`, or one outside it with BuildKit: `--build-context model=../shared/models`.
# Without it the image still builds (models/ always exists); a worker then reports VISION_MODEL_NOT_FOUND until a
# model is mounted at VISION_MODEL (/app/models/yolox_nano.onnx).

ARG NODE_IMAGE=node:20-bookworm
ARG NODE_SLIM_IMAGE=node:20-bookworm-slim
ARG MODEL_DIR=models

# ---- build: dependencies with dev tools, then dist/ (gateway, device-sim, vision-worker, dashboard) -------------
FROM ${NODE_IMAGE} AS build
WORKDIR /src
# .npmrc keeps onnxruntime-node-install=skip: the CPU binaries bundled in the package, no GPU download.
COPY package.json package-lock.json .npmrc ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund

# ---- model: the folder named by MODEL_DIR (or a --build-context called "model") -------------------------------
FROM scratch AS model
ARG MODEL_DIR
COPY ${MODEL_DIR}/ /

# ---- runtime ------------------------------------------------------------------------------------------------
FROM ${NODE_SLIM_IMAGE} AS runtime
# Debian's ffmpeg: H.265 / audio remuxing, downloads, snapshots and the vision worker's frame decoder.
RUN apt-get update \
 && apt-get install -y --no-install-recommends ffmpeg \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
ENV NODE_ENV=production \
    FFMPEG_PATH=/usr/bin/ffmpeg \
    DATA_DIR=/app/data \
    VISION_MODEL=/app/models/yolox_nano.onnx

# Code and dependencies stay owned by root (read-only to the process); only DATA_DIR is the node user's.
# package.json marks the root the gateway finds dist/web and its version from.
COPY --from=build /src/package.json /src/package-lock.json /src/.npmrc ./
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY --from=model / ./models/
RUN mkdir -p /app/data && chown node:node /app/data

USER node
VOLUME ["/app/data"]

# HTTP API + dashboard + HLS/FLV; SIP (UDP and TCP); RTP pool RTP_PORT_MIN..RTP_PORT_MAX (UDP, and TCP for
# tcp-passive media); gateway metrics (METRICS_PORT); vision worker metrics.
EXPOSE 8080/tcp 5060/udp 5060/tcp 30000-30999/udp 30000-30999/tcp 9464/tcp 9465/tcp

CMD ["node", "--enable-source-maps", "dist/apps/gateway/apps/gateway/src/main.js"]
