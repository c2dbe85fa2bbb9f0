#!/usr/bin/env bash
# On-demand benchmark of a cold start under the real Azure Functions host: the deployment package's dotnet publish
# (infra/publish.sh's, without ffmpeg) built twice, JIT only and ReadyToRun, then, alternating, the host started on each
# with every sample setting until the worker answers GET /api/health, then a development sign-in, the recommendations and
# the template manifest (the first requests a mini-program makes). Prints per run the seconds to the first answer and to the end of the
# requests and the worker's CPU seconds by then, and the medians and ratios; the package sizes and publish times.
#
# Usage: tests/benchmarks/coldstart-bench.sh [runs=5]
# Needs: the .NET SDK, Azurite (./dev.sh test installs it into .local/), an Azure Functions host (FUNCTIONS_HOST_DIR with a
# run-host.sh, else ../shared/functions-host).
set -euo pipefail
runs="${1:-5}"
source "$(dirname "$0")/bench-env.sh"
bench_init coldstart-bench
host_dir="${FUNCTIONS_HOST_DIR:-$root/../shared/functions-host}"
[[ -f "$host_dir/run-host.sh" ]] || { echo "No Azure Functions host: set FUNCTIONS_HOST_DIR to a folder with run-host.sh." >&2; exit 1; }

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

publish() { # name, extra properties...
  local name=$1 t0; shift
  t0=$(now)
  dotnet publish "$root/functions/Serverless.Functions.csproj" -c Release -r linux-x64 --self-contained true \
    -p:UseAppHost=true "$@" -o "$work/$name" --nologo -v quiet >"$work/publish-$name.log" 2>&1 \
    || { tail -20 "$work/publish-$name.log" >&2; exit 1; }
  printf '%s: published in %s s, %s MB\n' "$name" "$(elapsed "$t0" "$(now)")" "$(du -sm "$work/$name" | cut -f1)" >&2
}
publish jit -p:PublishReadyToRun=false
publish r2r -p:PublishReadyToRun=true

bench_start_azurite
# Every sample setting, as app settings are in Azure (environment variables), on this run's Azurite.
eval "$(python3 - "$root/local.settings.sample.json" <<'PY'
import json, shlex, sys
for k, v in json.load(open(sys.argv[1]))["Values"].items():
    print("export " + k + "=" + shlex.quote(str(v)))
PY
)"
export AzureWebJobsStorage="$conn"

# One cold start: the host on a package until /api/health answers 200, then the first requests.
# Prints "<seconds to health> <seconds to the end of the requests> <worker CPU seconds>".
cold_start() {
  local package=$1 port t0 t1 t2 host_pid worker token
  port=$(free_port)
  t0=$(now)
  bash "$host_dir/run-host.sh" "$package" "$port" >"$work/host.log" 2>&1 &
  host_pid=$!
  until curl -fsS -o /dev/null "http://127.0.0.1:$port/api/health" 2>/dev/null; do
    kill -0 "$host_pid" 2>/dev/null || { tail -30 "$work/host.log" >&2; exit 1; }
    sleep 0.05
  done
  t1=$(now)
  token=$(curl -fsS -X POST "http://127.0.0.1:$port/api/auth/login" -H 'Content-Type: application/json' -d '{"code":"dev:coldstart"}' \
    | python3 -c 'import json, sys; print(json.load(sys.stdin)["token"])')
  curl -fsS -o /dev/null -H "Authorization: Bearer $token" "http://127.0.0.1:$port/api/recommendations?count=10"
  curl -fsS -o /dev/null -H "Authorization: Bearer $token" "http://127.0.0.1:$port/api/templates/manifest?since=0"
  t2=$(now)
  worker=$(pgrep -f "$package/Serverless.Functions" | head -n1 || true)
  local cpu=0
  [[ -n "$worker" ]] && cpu=$(awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); printf "%.2f", ($12 + $13) / hz }' "/proc/$worker/stat")
  kill -TERM "$host_pid" 2>/dev/null || true
  wait "$host_pid" 2>/dev/null || true
  [[ -n "$worker" ]] && while kill -0 "$worker" 2>/dev/null; do sleep 0.1; done
  echo "$(elapsed "$t0" "$t1") $(elapsed "$t0" "$t2") $cpu"
}

cold_start "$work/jit" >/dev/null # warm-up: the host's own first start, the OS's file cache
hj=(); rj=(); cj=(); hr=(); rr=(); cr=(); ratio=()
for ((i = 1; i <= runs; i++)); do
  read -r h r c <<<"$(cold_start "$work/jit")"; hj+=("$h"); rj+=("$r"); cj+=("$c")
  read -r h2 r2 c2 <<<"$(cold_start "$work/r2r")"; hr+=("$h2"); rr+=("$r2"); cr+=("$c2")
  ratio+=("$(awk -v a="$r2" -v b="$r" 'BEGIN { printf "%.3f", a / b }')")
  printf 'run %d: JIT health %5.2f s, requests done %5.2f s, worker CPU %5.2f s | ReadyToRun %5.2f s, %5.2f s, %5.2f s | ratio %s\n' \
    "$i" "$h" "$r" "$c" "$h2" "$r2" "$c2" "${ratio[-1]}"
done
printf '\nmedians over %d runs: JIT health %.2f s, requests done %.2f s, worker CPU %.2f s | ReadyToRun %.2f s, %.2f s, %.2f s\n' \
  "$runs" "$(median "${hj[@]}")" "$(median "${rj[@]}")" "$(median "${cj[@]}")" "$(median "${hr[@]}")" "$(median "${rr[@]}")" "$(median "${cr[@]}")"
printf 'median ratio ReadyToRun/JIT of the time to the end of the first requests: %.3f\n' "$(median "${ratio[@]}")"
