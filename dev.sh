#!/usr/bin/env bash
# Developer entry point. Two commands for a fresh machine (README.md):
#   ./dev.sh run    install what is missing, start Azurite and the function app, publish the sample templates, take a sample
#                   clip to a signed playback URL as the demo page's default user, keep serving
#                   (--real-host: the deployment package under the Azure Functions host instead of the local host)
#   ./dev.sh test   install what is missing and run every test
#   ./dev.sh reliability   (on demand) the reliability scenarios at full size, then their table (docs/reliability.md)
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$(pwd)
LOCAL="$ROOT/.local"
AZURITE_VERSION=3.37.0
BICEP_VERSION=0.49.2
BICEP="$LOCAL/bicep/azure.bicep.commandline.linux-x64/$BICEP_VERSION/tools/bicep"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
# LightGBM (the recommender's ranker) runs on OpenMP, whose idle threads spin unless told to wait passively.
export OMP_WAIT_POLICY=passive

log() { printf '\033[1;34m==>\033[0m %s\n' "$*"; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

ensure_ffmpeg() {
  if ! command -v ffmpeg >/dev/null || ! command -v ffprobe >/dev/null; then
    log "Installing ffmpeg (Debian package)"
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq ffmpeg >/dev/null
  fi
}

# LightGBM's native library (the recommender's learned ranker, Microsoft.ML.LightGbm) links the GNU OpenMP runtime.
ensure_libgomp() {
  if ! ldconfig -p 2>/dev/null | grep -q 'libgomp\.so\.1'; then
    log "Installing libgomp1 (Debian package, for LightGBM)"
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq libgomp1 >/dev/null
  fi
}

ensure_azurite() {
  if [ ! -x "$LOCAL/azurite/node_modules/.bin/azurite" ]; then
    command -v npm >/dev/null || { as_root apt-get update -qq; DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq nodejs npm >/dev/null; }
    log "Installing Azurite $AZURITE_VERSION (npm)"
    mkdir -p "$LOCAL/azurite"
    npm install --silent --no-audit --no-fund --prefix "$LOCAL/azurite" "azurite@$AZURITE_VERSION" >/dev/null
  fi
  export AZURITE_PATH="$LOCAL/azurite/node_modules/.bin/azurite"
}

ensure_node() {
  command -v npm >/dev/null || { as_root apt-get update -qq; DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq nodejs npm >/dev/null; }
}

# The demo page's hls.js (functions/LocalHost/Web/package.json); the build copies it next to the page.
ensure_web() {
  ensure_node
  if [ ! -f functions/LocalHost/Web/node_modules/hls.js/dist/hls.min.js ]; then
    log "Installing the demo page's hls.js (npm ci)"
    npm ci --silent --no-audit --no-fund --prefix functions/LocalHost/Web >/dev/null
  fi
}

# Debian's Chromium for the browser tests (Playwright drives it by path; its own browser download is blocked).
ensure_chromium() {
  if [ ! -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ]; then
    log "Installing Chromium (Debian package)"
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq chromium >/dev/null
  fi
  export CHROMIUM_PATH="${CHROMIUM_PATH:-/usr/bin/chromium}"
  ensure_cjk_font
}

# A CJK font for Chromium: template names and the seed's texts are Chinese, which render as boxes without one. WenQuanYi
# Micro Hei (Debian fonts-wqy-microhei, 1.6 MB) covers Simplified and Traditional Chinese; any installed font that
# fontconfig says covers Chinese will do.
ensure_cjk_font() {
  if ! command -v fc-list >/dev/null || [ -z "$(fc-list :lang=zh family 2>/dev/null)" ]; then
    log "Installing a CJK font for Chromium (Debian package fonts-wqy-microhei)"
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq fontconfig fonts-wqy-microhei >/dev/null
  fi
}

# The mini-program sample: types generated from the committed OpenAPI document, then tsc --noEmit. Its scenarios (jest
# with miniprogram-simulate, against apps the test starts) run in the integration tests: MiniProgramSampleTests.
check_miniprogram() {
  ensure_node
  log "Mini-program sample: openapi-typescript + tsc --noEmit"
  (cd samples/miniprogram && npm ci --silent --no-audit --no-fund >/dev/null && npm run --silent check)
}

# The pinned Bicep compiler: the NuGet package Azure.Bicep.CommandLine.linux-x64, a self-contained 124 MB binary kept
# in .local/ (never committed). It works offline on local modules (no `br:` registry modules here).
ensure_bicep() {
  if [ ! -f "$BICEP" ]; then
    log "Installing the Bicep compiler $BICEP_VERSION (NuGet)"
    dotnet package download "Azure.Bicep.CommandLine.linux-x64@$BICEP_VERSION" -o "$LOCAL/bicep" >/dev/null
  fi
  chmod +x "$BICEP"
  export BICEP_PATH="$BICEP"
}

# The real compiler checks infra/: `bicep build` of main.bicep (its ARM JSON goes to .local/bicep-out/main.json, exported
# as BICEP_ARM_JSON for the Infra tests, which read the compiled template rather than the Bicep text), `bicep
# build-params` of every parameter file (checked to be `using` main.bicep; into .local/bicep-out/main.<env>.parameters.json)
# and `bicep lint` of every template. Any error or warning fails the run; a `#disable-next-line` needs a comment saying
# why the finding is a false positive. It runs first, before the build: a failure is reported and sets the status, and
# the other test steps still run (the Infra tests then compile again and report the same errors).
check_infra() {
  local out="$LOCAL/bicep-out" diagnostics failed=0
  rm -rf "$out"
  mkdir -p "$out"
  diagnostics="$out/diagnostics.txt"
  log "Infra: bicep build, build-params and lint (Bicep $BICEP_VERSION)"
  "$BICEP" build infra/main.bicep --outfile "$out/main.json" >>"$diagnostics" 2>&1 || failed=1
  for params in infra/*.bicepparam; do
    "$BICEP" build-params "$params" --bicep-file infra/main.bicep \
      --outfile "$out/$(basename "$params" .bicepparam).parameters.json" >>"$diagnostics" 2>&1 || failed=1
  done
  "$BICEP" lint --pattern 'infra/**/*.bicep' >>"$diagnostics" 2>&1 || failed=1
  # The compiler exits 0 on warnings: read them. Linting main.bicep repeats its modules' findings, hence sort -u.
  if grep -Eq '\b(Warning|Error)\b' "$diagnostics"; then failed=1; fi
  if [ "$failed" -ne 0 ]; then
    echo "Bicep reported problems (fix them; see infra/README.md):" >&2
    sort -u "$diagnostics" >&2
    return 1
  fi
  export BICEP_ARM_JSON="$out/main.json"
  echo "    infra/main.bicep, $(ls infra/*.bicepparam | wc -l) parameter files, every template linted: no errors, no warnings"
}

ensure_dotnet() {
  command -v dotnet >/dev/null || { echo "The .NET 10 SDK is required (dotnet on PATH)." >&2; exit 1; }
}

# The Azure Functions host for the real-host suite and `run --real-host`: FUNCTIONS_HOST_DIR (a folder with run-host.sh),
# else Core Tools' func on the PATH, else ../shared/functions-host beside the repository (built from the host's source).
find_functions_host() {
  if [ -n "${FUNCTIONS_HOST_DIR:-}" ]; then
    [ -f "$FUNCTIONS_HOST_DIR/run-host.sh" ] || { echo "FUNCTIONS_HOST_DIR=$FUNCTIONS_HOST_DIR has no run-host.sh" >&2; return 1; }
    echo "run-host:$FUNCTIONS_HOST_DIR/run-host.sh"
  elif command -v func >/dev/null; then
    echo "func:$(command -v func)"
  elif [ -f "$ROOT/../shared/functions-host/run-host.sh" ]; then
    echo "run-host:$(cd "$ROOT/../shared/functions-host" && pwd)/run-host.sh"
  else
    return 1
  fi
}

# Runs a command in a session of its own, then stops whatever it left running there (an emulator, an app, ffmpeg,
# Chromium) and names it: a test command leaves no process behind, and a leak is reported so it gets fixed.
run_contained() {
  local sidfile status=0 left
  sidfile=$(mktemp)
  setsid --wait bash -c 'echo $$ >"$0"; exec "$@"' "$sidfile" "$@" || status=$?
  local sid; sid=$(cat "$sidfile"); rm -f "$sidfile"
  # Exited children not yet reaped (state Z) are not running: only live processes count.
  left=$(ps -eo pid=,sid=,stat=,args= | awk -v s="$sid" '$2 == s && $3 !~ /^Z/ { $2 = ""; $3 = ""; print }')
  if [ -n "$left" ]; then
    echo "Processes the tests left running (stopped now; a leak to fix):" >&2
    echo "$left" | cut -c1-160 | sed 's/^/    /' >&2
    pkill -KILL -s "$sid" 2>/dev/null || true
  fi
  return $status
}

# The ten slowest test classes of the run's TRX files: wall time from the class's first test start to its last test end
# (class fixtures start before the first test and are not in it), and the sum of its tests' own durations.
print_slowest_classes() {
  python3 - "$1" <<'PY'
import glob, re, sys
from datetime import datetime
def when(t): return datetime.fromisoformat(re.sub(r'(\.\d{6})\d*', r'\1', t))
classes = {}
for path in glob.glob(sys.argv[1] + "/*.trx"):
    text = open(path, encoding="utf-8").read()
    owner = dict(re.findall(r'<UnitTest name="[^"]*" storage="[^"]*" id="([^"]+)">\s*<Execution[^>]*/>\s*<TestMethod [^>]*className="([^"]+)"', text))
    for m in re.finditer(r'<UnitTestResult ([^>]*)>', text):
        a = dict(re.findall(r'(\w+)="([^"]*)"', m.group(1)))
        if "startTime" not in a: continue
        h, mi, se = a["duration"].split(":")
        c = classes.setdefault(owner.get(a["testId"], "?"), [None, None, 0.0, 0])
        start, end = when(a["startTime"]), when(a["endTime"])
        c[0] = start if c[0] is None or start < c[0] else c[0]
        c[1] = end if c[1] is None or end > c[1] else c[1]
        c[2] += int(h) * 3600 + int(mi) * 60 + float(se); c[3] += 1
rows = sorted(((v[1] - v[0]).total_seconds(), v[2], v[3], k) for k, v in classes.items())[-10:][::-1]
print("\nThe ten slowest test classes (wall: first test start to last test end; tests: sum of their durations):")
for wall, total, count, name in rows:
    print(f"  {wall:7.1f} s wall  {total:7.1f} s tests  {count:4d} tests  {name.replace('Serverless.', '')}")
PY
}

# The failed tests of the run's TRX files with the head of their message and stack, last, where a log's tail shows them.
print_failures() {
  python3 - "$1" <<'PY'
import glob, html, re, sys
failures = []
for path in glob.glob(sys.argv[1] + "/*.trx"):
    text = open(path, encoding="utf-8").read()
    for m in re.finditer(r'<UnitTestResult ([^>]*outcome="(?:Failed|Error)"[^>]*)>(.*?)</UnitTestResult>', text, re.S):
        name = re.search(r'testName="([^"]*)"', m.group(1)).group(1)
        message = re.search(r'<Message>(.*?)</Message>', m.group(2), re.S)
        stack = re.search(r'<StackTrace>(.*?)</StackTrace>', m.group(2), re.S)
        failures.append((html.unescape(name), html.unescape(message.group(1)) if message else "",
                         html.unescape(stack.group(1)) if stack else ""))
if failures:
    print(f"\nFailed tests ({len(failures)}):")
    for name, message, stack in failures:
        print(f"  {name}")
        for line in (message.strip().splitlines()[:25] + stack.strip().splitlines()[:12]):
            print(f"      {line[:300]}")
PY
}

wait_for_port() { # host port seconds
  for _ in $(seq 1 $(( $3 * 10 ))); do
    (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null && { exec 3>&-; return 0; }
    sleep 0.1
  done
  return 1
}

cmd_test() {
  ensure_dotnet; ensure_ffmpeg; ensure_libgomp; ensure_azurite; ensure_web; ensure_chromium; ensure_bicep
  local results="$LOCAL/test-results" started=$SECONDS filter="" host
  rm -rf "$results"
  export TEST_RESULTS_DIR="$results"
  local status=0
  # The real-host suite needs an Azure Functions host. CI must have one; elsewhere its absence is said loudly.
  if host=$(find_functions_host); then
    log "Azure Functions host for the real-host suite: ${host#*:}"
    case "$host" in run-host:*) export FUNCTIONS_HOST_DIR; FUNCTIONS_HOST_DIR=$(dirname "${host#run-host:}") ;; esac
  elif [ "${CI:-}" = "true" ]; then
    echo "CI needs an Azure Functions host for the real-host suite and found none (FUNCTIONS_HOST_DIR, func, ../shared/functions-host)." >&2
    return 1
  else
    printf '\033[1;31m%s\033[0m\n' "!! No Azure Functions host found: the real-host suite (tests/Serverless.IntegrationTests/RealHost) does NOT run." \
      "!! Get one: set FUNCTIONS_HOST_DIR to a folder with run-host.sh (../shared/functions-host has one), or install" \
      "!! Azure Functions Core Tools (func). Everything else runs." >&2
    filter="Category!=RealHost"
  fi
  check_infra || status=$?
  check_miniprogram || status=$? # also installs what the sample's scenarios (MiniProgramSampleTests) run with
  log "Building"
  dotnet build Serverless.sln -c Release -nologo -clp:ErrorsOnly
  log "Unit tests"
  run_contained dotnet test tests/Serverless.UnitTests -c Release --no-build -nologo \
    --logger "console;verbosity=normal" --logger "trx;LogFileName=unit.trx" --results-directory "$results" || status=$?
  log "Integration and end-to-end tests (real Azurite, real ffmpeg, the real Functions host)"
  run_contained dotnet test tests/Serverless.IntegrationTests -c Release --no-build -nologo ${filter:+--filter "$filter"} \
    --logger "console;verbosity=normal" --logger "trx;LogFileName=integration.trx" --results-directory "$results" || status=$?
  python3 - "$results" <<'PY'
import glob, re, sys
passed = failed = skipped = 0
for path in glob.glob(sys.argv[1] + "/*.trx"):
    m = re.search(r'<Counters [^>]*', open(path, encoding="utf-8").read())
    if m:
        c = dict(re.findall(r'(\w+)="(\d+)"', m.group(0)))
        passed += int(c.get("passed", 0)); failed += int(c.get("failed", 0)) + int(c.get("error", 0))
        skipped += int(c.get("notExecuted", 0))
print(f"{passed} passed, {failed} failed, {skipped} skipped")
PY
  print_reliability_table "$results/reliability.jsonl"
  print_slowest_classes "$results"
  print_failures "$results"
  echo "Test command: $(( SECONDS - started )) s after the installs."
  return $status
}

# The rows the reliability scenarios recorded (tests/Serverless.IntegrationTests/Reliability), as a Markdown table.
print_reliability_table() {
  [ -s "$1" ] || return 0
  python3 - "$1" <<'PY'
import json, sys
rows = [json.loads(line) for line in open(sys.argv[1], encoding="utf-8") if line.strip()]
def num(v, fmt):
    return "-" if v is None else fmt.format(v)
print("\n| scenario | runs | uploads | Ready | Failed expected / unexpected | lost | duplicated | max recovery | p50 / p99 | peak memory | notes |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
for r in rows:
    ms = lambda v: f"{v / 1000:.1f} s" if v >= 1000 else f"{v:.1f} ms"
    lat = "-" if r.get("p50Ms") is None else f'{ms(r["p50Ms"])} / {ms(r["p99Ms"])}'
    mem = "-" if not r.get("peakMemoryBytes") else f'{r["peakMemoryBytes"] / 1048576:.0f} MB'
    print(f'| {r["scenario"]} | {r["runs"]} | {r["uploads"]} | {r["ready"]} | {r["failedExpected"]} / {r["failedUnexpected"]} | '
          f'{r["lost"]} | {r["duplicated"]} | {num(r.get("maxRecoverySeconds"), "{:.1f} s")} | {lat} | {mem} | {r.get("notes") or ""} |')
PY
}

cmd_reliability() {
  ensure_dotnet; ensure_ffmpeg; ensure_libgomp; ensure_azurite
  local results="$LOCAL/reliability-results"
  rm -rf "$results"; mkdir -p "$results"
  export TEST_RESULTS_DIR="$results" RELIABILITY_PROFILE="${RELIABILITY_PROFILE:-full}"
  log "Building"
  dotnet build tests/Serverless.IntegrationTests -c Release -nologo -clp:ErrorsOnly
  log "Reliability scenarios, profile $RELIABILITY_PROFILE (real app processes, real Azurite, real ffmpeg; about 30 min at full size)"
  local status=0
  # One scenario at a time, nothing else running, so the figures are the app's (in ./dev.sh test they run beside the rest).
  run_contained dotnet test tests/Serverless.IntegrationTests -c Release --no-build -nologo --filter "Category=Reliability" \
    --logger "console;verbosity=normal" --logger "trx;LogFileName=reliability.trx" --results-directory "$results" \
    -- xUnit.ParallelizeTestCollections=false || status=$?
  echo "$(date -u +%Y-%m-%d) ./dev.sh reliability (RELIABILITY_PROFILE=$RELIABILITY_PROFILE), $(nproc) cores"
  print_reliability_table "$results/reliability.jsonl"
  return $status
}

# The first operator key of local.settings.json (Identity__OperatorKeys, comma-separated).
operator_key() {
  python3 -c 'import json; print(json.load(open("local.settings.json"))["Values"]["Identity__OperatorKeys"].split(",")[0].strip())'
}

# Stops what cmd_run started, the last started first, each gone before the next (up to 30 s): the app releases its Durable
# leases while Azurite still answers, so the next run does not wait for them to lapse.
stop_started() {
  local i pid
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    pid=${pids[i]}
    kill "$pid" 2>/dev/null || continue
    for _ in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  done
}

cmd_run() {
  local real_host=0
  [ "${1:-}" = "--real-host" ] && real_host=1
  ensure_dotnet; ensure_ffmpeg; ensure_libgomp; ensure_azurite; ensure_web
  [ -f local.settings.json ] || { log "Creating local.settings.json from local.settings.sample.json"; cp local.settings.sample.json local.settings.json; }
  local port=${PORT:-7071}
  mkdir -p "$LOCAL/azurite-data" "$LOCAL/logs"
  pids=()
  # Stopped at any point (Ctrl+C, a closed terminal, kill), even while it builds, it exits, and its exit stops what it started.
  trap stop_started EXIT
  trap 'exit 130' INT
  trap 'exit 129' HUP
  trap 'exit 143' TERM
  if ! wait_for_port 127.0.0.1 10000 0; then
    log "Starting Azurite (blob 10000, queue 10001, table 10002; data in .local/azurite-data)"
    # In a process group of its own (set -m): Ctrl+C reaches the app and this script, and Azurite stops after the app.
    set -m
    "$AZURITE_PATH" --silent --skipApiVersionCheck --disableTelemetry --loose --location "$LOCAL/azurite-data" \
      >"$LOCAL/logs/azurite.log" 2>&1 &
    pids+=($!)
    set +m
    wait_for_port 127.0.0.1 10000 30 || { echo "Azurite did not start; see .local/logs/azurite.log" >&2; exit 1; }
    wait_for_port 127.0.0.1 10002 30
  fi
  log "Building the function app"
  dotnet build functions/LocalHost -c Release -nologo -clp:ErrorsOnly
  local app
  if [ $real_host -eq 1 ]; then
    local host
    host=$(find_functions_host) || { echo "No Azure Functions host found: set FUNCTIONS_HOST_DIR to a folder with run-host.sh (../shared/functions-host has one), or install Azure Functions Core Tools (func)." >&2; exit 1; }
    log "Building the deployment package (infra/publish.sh, ffmpeg from this machine) into .local/package"
    FFMPEG_DIR=$(dirname "$(command -v ffmpeg)") infra/publish.sh -o "$LOCAL/package" >"$LOCAL/logs/publish.log" 2>&1 \
      || { tail -20 "$LOCAL/logs/publish.log" >&2; exit 1; }
    # The app settings as the host takes them in Azure: every Values entry of local.settings.json, as environment variables.
    eval "$(python3 -c 'import json, shlex; [print("export " + k + "=" + shlex.quote(str(v))) for k, v in json.load(open("local.settings.json"))["Values"].items()]')"
    log "Starting Event Grid's part (the uploads watcher alone: Serverless.LocalHost --event-grid; log: .local/logs/event-grid.log)"
    dotnet functions/LocalHost/bin/Release/net10.0/Serverless.LocalHost.dll --event-grid >"$LOCAL/logs/event-grid.log" 2>&1 &
    pids+=($!)
    log "Starting the package under the Azure Functions host (${host#*:}) on http://127.0.0.1:$port (log: .local/logs/app.log)"
    case "$host" in
      run-host:*) bash "${host#run-host:}" "$LOCAL/package" "$port" >"$LOCAL/logs/app.log" 2>&1 & ;;
      func:*) (cd "$LOCAL/package" && exec "${host#func:}" host start --port "$port") >"$LOCAL/logs/app.log" 2>&1 & ;;
    esac
  else
    log "Starting the function app on the local host, http://127.0.0.1:$port (log: .local/logs/app.log)"
    # The app itself, not a launcher around it (`dotnet run`), is the process this script stops when it is stopped.
    ASPNETCORE_ENVIRONMENT=Development dotnet functions/LocalHost/bin/Release/net10.0/Serverless.LocalHost.dll --urls "http://127.0.0.1:$port" \
      >"$LOCAL/logs/app.log" 2>&1 &
  fi
  app=$!
  pids+=($app)
  for _ in $(seq 1 240); do
    curl -fsS "http://127.0.0.1:$port/api/health" >/dev/null 2>&1 && break
    kill -0 "$app" 2>/dev/null || { tail -40 "$LOCAL/logs/app.log" >&2; exit 1; }
    sleep 0.5
  done
  log "Publishing the sample motion templates (samples/templates/, seed 004's examples) through the operator API"
  python3 "$ROOT/scripts/publish-templates.py" "http://127.0.0.1:$port" "$(operator_key)"
  bash "$ROOT/scripts/sample-run.sh" "http://127.0.0.1:$port"
  if [ $real_host -eq 1 ]; then
    log "Serving under the Azure Functions host on http://127.0.0.1:$port/api/... (the demo page is the local host's: ./dev.sh run); Ctrl+C stops it"
  else
    log "Serving on http://127.0.0.1:$port: demo page at /, API description at /api/openapi/v1.json (Ctrl+C stops the app and Azurite)"
  fi
  wait "$app"
}

case "${1:-}" in
  test) cmd_test ;;
  run) cmd_run "${2:-}" ;;
  reliability) cmd_reliability ;;
  *) echo "usage: ./dev.sh run [--real-host] | test | reliability" >&2; exit 2 ;;
esac
