# The Cascade server as a container: `docker build -t cascade .` then see compose.yaml and docs/deployment.md.
# Stage 1 publishes the `cascade` command (src/Cascade.Cli, cascade.dll) with the SDK; stage 2 runs it on the
# ASP.NET Core runtime as a non-root user, with the data folder on a volume.

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
# The commit `cascade --version` reports: the build context has no .git (see .dockerignore), so pass it in,
# e.g. `docker build --build-arg SOURCE_REVISION=$(git rev-parse HEAD) .`.
ARG SOURCE_REVISION=
WORKDIR /source
# global.json is left out on purpose: it pins the repository's SDK feature band, and the image's SDK is the 10.0
# one Microsoft publishes.
COPY Directory.Build.props Directory.Packages.props .editorconfig ./
COPY src/ src/
RUN dotnet publish src/Cascade.Cli/Cascade.Cli.csproj -c Release -o /app -p:SourceRevisionId="$SOURCE_REVISION"

FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS runtime
# curl is for HEALTHCHECK alone; the runtime image has no HTTP client of its own.
RUN apt-get update \
    && apt-get install -y --no-install-recommends curl \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /app ./
# The data folder (event log, catalog, checkpoints, bundles): `cascade serve` takes it from CASCADE_DATA_DIR
# (its --data-dir default). The folder belongs to the image's non-root user `app` ($APP_UID).
ENV CASCADE_DATA_DIR=/data
RUN mkdir -p /data && chown "$APP_UID" /data
VOLUME /data
# Beyond loopback the server refuses to start without an API key: set Cascade__ApiKeys__0__Key (16+ characters),
# __App and __Scopes__0 (compose.yaml does). Any other setting: Cascade__<Name>, as in appsettings.json.
ENV ASPNETCORE_URLS=http://+:8080
EXPOSE 8080
USER $APP_UID
# Ready: every projection is caught up and every app has a bundle (or no data yet); 503 while the first training
# runs, which the start period allows for.
HEALTHCHECK --interval=30s --timeout=5s --start-period=120s --retries=3 \
    CMD curl --fail --silent --show-error --max-time 4 http://127.0.0.1:8080/health/ready > /dev/null || exit 1
ENTRYPOINT ["dotnet", "cascade.dll"]
CMD ["serve"]
