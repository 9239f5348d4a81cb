#!/usr/bin/env bash
# Sets Glassbox up on this machine, then opens the app (default) or runs the tests (--test).
# Safe to run again: each step checks what is already there and skips the heavy work.
set -euo pipefail

cd "$(dirname "$0")"
mode=app
case "${1:-}" in
  --test) mode=test; shift ;;
  --no-launch) mode=none; shift ;;
  "") ;;
  *) echo "usage: ./setup.sh [--test | --no-launch] [pytest arguments with --test]" >&2; exit 2 ;;
esac

steps=5
step() { printf '\n==> [%s/%s] %s\n' "$1" "$steps" "$2"; }

# Debian packages the app and its tests use: Qt's runtime libraries, PortAudio and a sound
# server for recording, espeak-ng and sox for test speech, Xvfb for screenshots under X, a
# CJK font so Chinese and Japanese text (prompts, OCR results) does not show as boxes.
system_packages=(
  libegl1 libgl1 libfontconfig1 libxkbcommon0 libxkbcommon-x11-0 libglib2.0-0 libdbus-1-3
  libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-randr0
  libxcb-render-util0 libxcb-shape0 libxcb-xinerama0 libxcb-xfixes0 fonts-dejavu-core
  fonts-wqy-microhei
  libportaudio2 libsndfile1 pulseaudio pulseaudio-utils alsa-utils libasound2-plugins
  espeak-ng sox xvfb miscfiles
)

step 1 "System packages"
missing=()
for package in "${system_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" \
    || missing+=("$package")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "all ${#system_packages[@]} present"
elif [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
  echo "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "WARNING: missing system packages (install them as root): ${missing[*]}" >&2
fi

step 2 "Python virtual environment (.venv)"
python=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$python" -c 'import sys; assert sys.version_info >= (3, 11), "Glassbox needs Python 3.11+"'
  "$python" -m venv .venv
  echo "created .venv with $("$python" --version)"
else
  echo "reusing .venv ($(.venv/bin/python --version))"
fi

step 3 "Python packages"
# The tests also compare Whisper with faster-whisper, a peer that the app itself never needs.
extras=build,dev
[ "$mode" = test ] && extras=build,dev,bench
stamp=.venv/.glassbox-installed
wanted="$(sha256sum pyproject.toml | cut -d' ' -f1) $extras"
if [ -f "$stamp" ] && grep -qxF "$wanted" "$stamp"; then
  echo "up to date"
else
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet --progress-bar on -e ".[$extras]"
  echo "$wanted" > "$stamp"
  echo "installed (extras: $extras)"
fi

step 4 "Models and data (fetched once into the user cache, verified, built)"
.venv/bin/glassbox setup-models

case "$mode" in
  app)
    step 5 "Starting Glassbox"
    if [ -z "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
      echo "no display found: running offscreen (QT_QPA_PLATFORM=offscreen)"
      export QT_QPA_PLATFORM=offscreen
    fi
    exec .venv/bin/glassbox ;;
  test)
    step 5 "Running the tests"
    exec .ci/with-audio-device .venv/bin/python -m pytest "$@" ;;
  none)
    step 5 "Done: start the app with .venv/bin/glassbox" ;;
esac
