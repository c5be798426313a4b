#!/usr/bin/env bash
# Baseline for bench/deploy-e2e.js: what a system programmer writes today to deploy a wheel set
# to z/OS UNIX by hand. sftp -b puts the wheels and the hash-pinned lock file, then ONE ssh runs
# `python -m venv` and an offline, hash-checked pip install. No signatures, no tags, no store,
# no lock, no RECORD check, no atomic switch.
#
#   bench/baseline-deploy.sh HOST PORT USER IDENTITY KNOWN_HOSTS PYTHON WHEEL_DIR LOCK_FILE REMOTE_DIR
set -euo pipefail
if [ $# -ne 9 ]; then
  echo "usage: $0 HOST PORT USER IDENTITY KNOWN_HOSTS PYTHON WHEEL_DIR LOCK_FILE REMOTE_DIR" >&2
  exit 2
fi
host=$1 port=$2 user=$3 identity=$4 known=$5 python=$6 wheels=$7 lock=$8 dir=$9

opts=(-F /dev/null -i "$identity" -o IdentitiesOnly=yes -o "UserKnownHostsFile=$known"
      -o GlobalKnownHostsFile=/dev/null -o StrictHostKeyChecking=yes -o BatchMode=yes -o LogLevel=ERROR)

{
  echo "mkdir \"$dir\""
  echo "mkdir \"$dir/wheels\""
  for w in "$wheels"/*.whl; do echo "put \"$w\" \"$dir/wheels/\""; done
  echo "put \"$lock\" \"$dir/requirements.lock.txt\""
} | sftp "${opts[@]}" -P "$port" -b - "$user@$host" >/dev/null

q() { printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"; }
ssh "${opts[@]}" -p "$port" "$user@$host" \
  "$(q "$python") -m venv $(q "$dir/venv") && $(q "$dir/venv/bin/python") -m pip install --no-index --find-links $(q "$dir/wheels") --require-hashes -r $(q "$dir/requirements.lock.txt")" >/dev/null
