# shellcheck shell=bash
# Idempotent machine set-up shared by scripts/test and scripts/demo. Safe to run on a fresh
# Debian machine (installs what is missing when root) and cheap when everything is present.

zwh_log() { printf '[setup] %s\n' "$*" >&2; }

zwh_need_apt() {
  # $1 = command or path to test, $2.. = Debian packages providing it
  local probe=$1; shift
  if [ -e "$probe" ] || command -v "$probe" >/dev/null 2>&1; then return 0; fi
  ZWH_APT_MISSING+=("$@")
}

zwh_setup() {
  local root_dir
  root_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
  cd "$root_dir" || return 1

  # Node >= 20.9
  local nv
  nv=$(node -p 'process.versions.node' 2>/dev/null) || { zwh_log "Node.js is not installed; install Node >= 20.9"; return 1; }
  node -e 'const [a,b]=process.versions.node.split(".").map(Number);process.exit(a>20||(a===20&&b>=9)?0:1)' \
    || { zwh_log "Node $nv is too old; Wheelhouse needs Node >= 20.9"; return 1; }

  # Debian packages: the simulator needs a real sshd and sftp-server, the OpenSSH client for
  # benchmarks and interop tests, and Debian's wheels for the real-wheel verification tests.
  ZWH_APT_MISSING=()
  zwh_need_apt /usr/sbin/sshd openssh-server
  zwh_need_apt /usr/lib/openssh/sftp-server openssh-sftp-server
  zwh_need_apt ssh-keygen openssh-client
  zwh_need_apt sftp openssh-client
  zwh_need_apt /usr/share/python-wheels/pip-23.0.1-py3-none-any.whl python3-pip-whl
  zwh_need_apt /usr/share/python-wheels/setuptools-66.1.1-py3-none-any.whl python3-setuptools-whl
  zwh_need_apt /usr/share/python-wheels/wheel-0.38.4-py3-none-any.whl python3-wheel-whl
  zwh_need_apt python3 python3
  # z/OS commands the simulated LPARs offer (test/sim/README.md): pax, uuencode/uudecode,
  # compress/uncompress, cpio, strings.
  zwh_need_apt /usr/bin/pax pax
  zwh_need_apt /usr/bin/uuencode sharutils
  zwh_need_apt /usr/bin/compress ncompress
  zwh_need_apt /usr/bin/cpio cpio
  zwh_need_apt /usr/bin/strings binutils
  # the simulator compiles its session preload library (test/sim/shims/zsim_preload.c) at start
  zwh_need_apt cc gcc
  zwh_need_apt /usr/include/stdio.h libc6-dev
  # the simulated z/OSMF (test/sim/zosmf) makes its own CA and server certificate with openssl
  zwh_need_apt /usr/bin/openssl openssl
  # Run as root, the simulator's sessions use an unprivileged user, who cannot run a pyenv Python
  # under a private /root: it then builds the SDK from Debian's python3 (needs venv + ensurepip).
  if ! /usr/bin/python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then ZWH_APT_MISSING+=(python3-venv); fi
  # PostgreSQL server binaries for the shared-inventory tests: they start a throwaway cluster on a
  # loopback port as the 'postgres' system user (test/support/pg-cluster.js), never the service.
  if ! compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null; then ZWH_APT_MISSING+=(postgresql); fi
  # Headless Chromium renders the HTML drift report in the tests (screenshot, console errors).
  zwh_need_apt /usr/bin/chromium chromium
  # Ansible (Debian ansible-core) is the contender of the fleet benchmark (bench/fleet.js).
  # Installed without recommends: they pull the whole "ansible" collections package (~250 MB installed).
  ZWH_APT_NORECS=()
  command -v ansible-playbook >/dev/null 2>&1 || ZWH_APT_NORECS+=(ansible-core)
  if [ ${#ZWH_APT_MISSING[@]} -gt 0 ] || [ ${#ZWH_APT_NORECS[@]} -gt 0 ]; then
    # The wheel packages' versions differ between Debian releases: test by glob afterwards.
    if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
      export DEBIAN_FRONTEND=noninteractive
      if [[ " ${ZWH_APT_MISSING[*]} " == *" postgresql "* ]]; then
        # No "main" cluster: the package must not create (or start) a system database.
        mkdir -p /etc/postgresql-common/createcluster.d
        echo "create_main_cluster = false" > /etc/postgresql-common/createcluster.d/zwh-no-main-cluster.conf
      fi
      apt-get update -qq >/dev/null || { zwh_log "apt-get update failed"; return 1; }
      if [ ${#ZWH_APT_MISSING[@]} -gt 0 ]; then
        zwh_log "installing Debian packages: ${ZWH_APT_MISSING[*]}"
        apt-get install -y -qq "${ZWH_APT_MISSING[@]}" >/dev/null \
          || { zwh_log "apt-get install failed for: ${ZWH_APT_MISSING[*]}"; return 1; }
      fi
      if [ ${#ZWH_APT_NORECS[@]} -gt 0 ]; then
        zwh_log "installing Debian packages (without recommends): ${ZWH_APT_NORECS[*]}"
        apt-get install -y -qq --no-install-recommends "${ZWH_APT_NORECS[@]}" >/dev/null \
          || { zwh_log "apt-get install failed for: ${ZWH_APT_NORECS[*]}"; return 1; }
      fi
    else
      zwh_log "missing: ${ZWH_APT_MISSING[*]} ${ZWH_APT_NORECS[*]}. Install them with: sudo apt-get install -y ${ZWH_APT_MISSING[*]}${ZWH_APT_NORECS[*]:+ && sudo apt-get install -y --no-install-recommends ${ZWH_APT_NORECS[*]}}"
      return 1
    fi
  fi

  # A CPython with venv + ensurepip (the simulator copies it to the z/OS-style SDK path).
  if ! zwh_base_python >/dev/null; then
    if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
      zwh_log "installing python3-venv"
      apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null || return 1
    else
      zwh_log "no python3 with venv and ensurepip found; install python3-venv"; return 1
    fi
  fi

  # npm dependencies: npm ci when node_modules is missing or older than the lock file.
  local want have
  want=$(sha256sum package-lock.json | cut -d' ' -f1)
  have=$(cat node_modules/.zwh-lock-sha256 2>/dev/null || true)
  if [ ! -d node_modules ] || [ "$want" != "$have" ]; then
    zwh_log "npm ci"
    npm ci --no-audit --no-fund --loglevel=error || return 1
    echo "$want" > node_modules/.zwh-lock-sha256
  fi
  # better-sqlite3 is native; rebuild from source if its binary does not load here.
  if ! node -e 'new (require("better-sqlite3"))(":memory:").close()' 2>/dev/null; then
    zwh_log "rebuilding better-sqlite3"
    npm rebuild better-sqlite3 --foreground-scripts >/dev/null || return 1
  fi

  zwh_log "build"
  npm run -s build || return 1
}

# Prints a CPython 3 that has venv and ensurepip (the simulator's base interpreter).
zwh_base_python() {
  local c
  for c in "${ZWH_SIM_BASE_PYTHON:-}" /root/.pyenv/versions/*/bin/python3 "$(command -v python3 2>/dev/null)" /usr/bin/python3; do
    [ -n "$c" ] && [ -x "$c" ] || continue
    if "$c" -c 'import venv, ensurepip' >/dev/null 2>&1; then echo "$c"; return 0; fi
  done
  return 1
}
