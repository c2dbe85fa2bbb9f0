# What the benchmark scripts share (sourced, not run): the tools found or a one-line reason, a work folder removed on exit
# (KEEP=1 keeps it), the emulator on free ports, and the function app on the local host with every sample setting, as
# `./dev.sh run` gives them (local.settings.sample.json), plus the script's own overrides.
#
#   source "$(dirname "$0")/bench-env.sh"; bench_init NAME
#   bench_start_azurite                        # sets conn
#   bench_start_app [Setting__Name=value ...]  # sets port, app_pid; waits for /api/health
bench_init() {
  here="$(cd "$(dirname "${BASH_SOURCE[1]}")" && pwd)"
  root="$(cd "$here/../.." && pwd)"
  azurite="${AZURITE_PATH:-$root/.local/azurite/node_modules/.bin/azurite}"
  command -v "$azurite" >/dev/null || { echo "Azurite was not found ($azurite): run ./dev.sh test once (it installs it into .local/), or set AZURITE_PATH." >&2; exit 1; }
  command -v ffmpeg >/dev/null || { echo "ffmpeg was not found: run ./dev.sh test once (it installs Debian's ffmpeg)." >&2; exit 1; }
  work="$(mktemp -d -t "$1-XXXXXX")"
  pids=()
  trap bench_cleanup EXIT
  echo "Building the local host and the function app (Release)..." >&2
  dotnet build "$root/functions/LocalHost" -c Release -nologo -clp:ErrorsOnly >/dev/null
  app_dll="$root/functions/LocalHost/bin/Release/net10.0/Serverless.LocalHost.dll"
}

bench_cleanup() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; [[ "${KEEP:-0}" == 1 ]] || rm -rf "$work"; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

bench_start_azurite() {
  local bp qp tp key
  bp=$(free_port); qp=$(free_port); tp=$(free_port)
  "$azurite" --silent --skipApiVersionCheck --disableTelemetry --loose --location "$work/azurite" \
    --blobPort "$bp" --queuePort "$qp" --tablePort "$tp" >"$work/azurite.log" 2>&1 &
  azurite_pid=$!
  pids+=("$azurite_pid")
  key="Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
  conn="DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=$key;BlobEndpoint=http://127.0.0.1:$bp/devstoreaccount1;QueueEndpoint=http://127.0.0.1:$qp/devstoreaccount1;TableEndpoint=http://127.0.0.1:$tp/devstoreaccount1;"
  for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$bp") 2>/dev/null && return 0; sleep 0.1; done
  echo "Azurite did not start:" >&2; tail -20 "$work/azurite.log" >&2; exit 1
}

bench_start_app() {
  port=$(free_port)
  (cd "$(dirname "$app_dll")" && exec env ASPNETCORE_ENVIRONMENT=Development AzureWebJobsStorage="$conn" \
    LOCAL_SETTINGS_PATH="$root/local.settings.sample.json" Media__WorkDirectory="$work/media-work" "$@" \
    dotnet "$app_dll" --urls "http://127.0.0.1:$port") >"$work/app.log" 2>&1 &
  app_pid=$!
  pids+=("$app_pid")
  for _ in $(seq 1 300); do curl -fsS "http://127.0.0.1:$port/api/health" >/dev/null 2>&1 && return 0; sleep 0.2; done
  echo "the app did not start:" >&2; tail -30 "$work/app.log" >&2; exit 1
}
