# LongFunnel image: one image for every role (start, server, worker, migrate).
#   docker build -t longfunnel .
#   docker run -p 3000:3000 -v longfunnel-data:/data \
#     -e ENCRYPTION_KEY=... -e PUBLIC_URL=https://lf.example.com longfunnel   # embedded database
#   docker run ... longfunnel server | worker | migrate                   # with DATABASE_URL, REDIS_URL

FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json ./
COPY server ./server
COPY integrations ./integrations
COPY tracker ./tracker
COPY widget ./widget
COPY dashboard ./dashboard
COPY scripts/build-tracker.mjs scripts/build-widget.mjs scripts/build-dashboard.mjs ./scripts/
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production \
    DATA_DIR=/data
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/package.json ./package.json
RUN mkdir -p /data && chown node:node /data
VOLUME /data
USER node
EXPOSE 3000
# The slim image has no curl; Node's own fetch asks /healthz.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "dist/server/cli.js"]
CMD ["start"]
