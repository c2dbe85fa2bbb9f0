#!/usr/bin/env bash
# Builds the deployment package: the folder the Azure Functions host runs (and, with --zip, the zip that
# `az functionapp deployment source config-zip` deploys to the Flex Consumption app: infra/README.md).
#
#   infra/publish.sh [-o DIR] [--zip FILE] [--no-ffmpeg]
#
#   DIR          package folder (default artifacts/package); emptied first
#   --zip FILE   also zip DIR into FILE, keeping Unix permissions (the x bits of the executables)
#   --no-ffmpeg  leave out ffmpeg/ffprobe (only for a quick look at the package shape)
#
# The package root is what the Functions host runs for an isolated-worker app: host.json, functions.metadata (the
# functions the worker SDK found at build time), worker.config.json with the self-contained linux-x64 worker executable
# it names, extensions.json and .azurefunctions/ (the host-side binding extensions the SDK built), plus tools/ffmpeg and
# tools/ffprobe:
#   - from FFMPEG_DIR if set (a folder with static linux-x64 `ffmpeg` and `ffprobe`: bring your own pinned build), else
#   - from the npm packages @ffmpeg-installer/linux-x64 and @ffprobe-installer/linux-x64 (static builds shipped inside
#     the packages), installed into .local/ffmpeg-npm.
# The app finds them through the settings Media__FfmpegPath / Media__FfprobePath (main.bicep points them at
# /home/site/wwwroot/tools/...), falling back to PATH when unset.
# Needs: .NET SDK (global.json), jq, zip (with --zip), npm (unless FFMPEG_DIR or --no-ffmpeg).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="$root/artifacts/package"
zip_file=""
with_ffmpeg=1
ffmpeg_npm_version="4.1.0"
ffprobe_npm_version="5.2.0"

while [[ $# -gt 0 ]]; do
  case "$1" in
    -o|--output) out="$2"; shift 2 ;;
    --zip) zip_file="$2"; shift 2 ;;
    --no-ffmpeg) with_ffmpeg=0; shift ;;
    -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
    *) echo "publish.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done

fail() { echo "publish.sh: $*" >&2; exit 1; }

case "$out" in
  /|"$root"|"$root/"|"$HOME"|"") fail "refusing to use '$out' as the output folder" ;;
esac
rm -rf "$out"
mkdir -p "$out"
out="$(cd "$out" && pwd)"

echo "==> dotnet publish (Release, linux-x64, self-contained) -> $out"
dotnet publish "$root/functions/Serverless.Functions.csproj" -c Release -r linux-x64 --self-contained true \
  -p:UseAppHost=true -o "$out" --nologo -v quiet

# The package must look the way the Functions host expects it.
for f in host.json functions.metadata worker.config.json extensions.json; do
  [[ -f "$out/$f" ]] || fail "$f is missing from the package root"
done
[[ -d "$out/.azurefunctions" ]] || fail ".azurefunctions/ (the host's binding extensions) is missing from the package"
jq -e '.customHandler' "$out/host.json" >/dev/null && fail "host.json still has a customHandler section"
exe="$(jq -r '.description.defaultExecutablePath // empty' "$out/worker.config.json")"
exe="${exe#\{WorkerRoot\}}"
[[ -n "$exe" && -f "$out/$exe" ]] || fail "the worker executable '$exe' named in worker.config.json is not in the package"
chmod 755 "$out/$exe"
functions="$(jq 'length' "$out/functions.metadata")"
echo "    host.json, functions.metadata ($functions functions), worker $exe"

if [[ $with_ffmpeg -eq 1 ]]; then
  mkdir -p "$out/tools"
  if [[ -n "${FFMPEG_DIR:-}" ]]; then
    src_ffmpeg="$FFMPEG_DIR/ffmpeg"
    src_ffprobe="$FFMPEG_DIR/ffprobe"
    echo "==> ffmpeg/ffprobe from FFMPEG_DIR=$FFMPEG_DIR"
  else
    cache="$root/.local/ffmpeg-npm"
    src_ffmpeg="$cache/node_modules/@ffmpeg-installer/linux-x64/ffmpeg"
    src_ffprobe="$cache/node_modules/@ffprobe-installer/linux-x64/ffprobe"
    if [[ ! -f "$src_ffmpeg" || ! -f "$src_ffprobe" ]]; then
      echo "==> npm: @ffmpeg-installer/linux-x64@$ffmpeg_npm_version @ffprobe-installer/linux-x64@$ffprobe_npm_version"
      mkdir -p "$cache"
      npm install --prefix "$cache" --no-save --no-audit --no-fund --ignore-scripts --loglevel error \
        "@ffmpeg-installer/linux-x64@$ffmpeg_npm_version" "@ffprobe-installer/linux-x64@$ffprobe_npm_version" >/dev/null
    fi
  fi
  [[ -f "$src_ffmpeg" ]] || fail "no ffmpeg at $src_ffmpeg"
  [[ -f "$src_ffprobe" ]] || fail "no ffprobe at $src_ffprobe"
  install -m 755 "$src_ffmpeg" "$out/tools/ffmpeg"
  install -m 755 "$src_ffprobe" "$out/tools/ffprobe"
  "$out/tools/ffmpeg" -hide_banner -version | head -n 1
  "$out/tools/ffprobe" -hide_banner -version | head -n 1
  if command -v file >/dev/null && ! file -L "$out/tools/ffmpeg" | grep -q "statically linked"; then
    echo "    warning: tools/ffmpeg is not statically linked; it may not run on the Functions image" >&2
  fi
fi

if [[ -n "$zip_file" ]]; then
  mkdir -p "$(dirname "$zip_file")"
  zip_file="$(cd "$(dirname "$zip_file")" && pwd)/$(basename "$zip_file")"
  rm -f "$zip_file"
  echo "==> zip -> $zip_file"
  # Info-ZIP stores each file's Unix mode, so the executables stay executable on the read-only package mount.
  (cd "$out" && zip -q -r -X "$zip_file" .)
fi

echo "==> package ready: $out"
