#!/bin/bash
# One-node OpenStack Swift with the s3api middleware, on loopback, 1 replica, 1 device, for the
# S3 tests (after /work/shared/reference/swift/setup-swift.sh, with ports of our own so that
# parallel runs and other services never collide).
# Usage: setup-swift.sh <base-dir> <root> <memcached> <object> <container> <account> <proxy>
#   <root> is / for an apt-get install, or where the .debs were unpacked with dpkg-deb -x.
# Produces <base-dir>/etc/*, <base-dir>/srv/node/d1, <base-dir>/swiftrun.py and <base-dir>/start.sh.
# S3: endpoint http://127.0.0.1:<proxy>, access key test:tester, secret testing, region us-east-1.
set -euo pipefail
S=$(realpath -m "${1:?base dir}"); R=$(realpath -m "${2:?root}")
MC=${3:?memcached port}; OBJ=${4:?object port}; CON=${5:?container port}; ACC=${6:?account port}; PROXY=${7:?proxy port}
PYP="$R/usr/lib/python3/dist-packages"
mkdir -p "$S/etc" "$S/srv/node/d1" "$S/run"
cat > "$S/etc/swift.conf" <<EOF
[swift-hash]
swift_hash_path_suffix = coffertest
swift_hash_path_prefix = coffertest
[storage-policy:0]
name = gold
default = yes
policy_type = replication
EOF
backend() { # name port
cat > "$S/etc/$1-server.conf" <<EOF
[DEFAULT]
devices = $S/srv/node
mount_check = false
disable_fallocate = true
swift_dir = $S/etc
bind_ip = 127.0.0.1
bind_port = $2
workers = 1
log_level = WARNING
user = $(id -un)

[pipeline:main]
pipeline = $1-server

[app:$1-server]
use = egg:swift#$1
EOF
}
backend account "$ACC"; backend container "$CON"; backend object "$OBJ"
cat > "$S/etc/proxy-server.conf" <<EOF
[DEFAULT]
bind_ip = 127.0.0.1
bind_port = $PROXY
workers = 1
swift_dir = $S/etc
user = $(id -un)
log_level = WARNING

[pipeline:main]
pipeline = catch_errors gatekeeper healthcheck proxy-logging cache listing_formats bulk tempurl ratelimit s3api tempauth copy slo dlo versioned_writes symlink proxy-logging proxy-server

[app:proxy-server]
use = egg:swift#proxy
account_autocreate = true
allow_account_management = true

[filter:s3api]
use = egg:swift#s3api
location = us-east-1
max_multi_delete_objects = 1000

[filter:tempauth]
use = egg:swift#tempauth
user_test_tester = testing .admin

[filter:cache]
use = egg:swift#memcache
memcache_servers = 127.0.0.1:$MC
EOF
for f in catch_errors gatekeeper healthcheck proxy_logging listing_formats bulk tempurl ratelimit copy slo dlo versioned_writes symlink; do
  printf '[filter:%s]\nuse = egg:swift#%s\n' "${f//_/-}" "$f" >> "$S/etc/proxy-server.conf"
done
# The pipeline spells these three with underscores; their sections must match.
sed -i 's/^\[filter:listing-formats\]/[filter:listing_formats]/; s/^\[filter:catch-errors\]/[filter:catch_errors]/; s/^\[filter:versioned-writes\]/[filter:versioned_writes]/' "$S/etc/proxy-server.conf"
export PYTHONPATH="$PYP" LD_LIBRARY_PATH="$R/usr/lib/x86_64-linux-gnu"
for spec in object:$OBJ container:$CON account:$ACC; do
  t=${spec%%:*}; p=${spec##*:}
  /usr/bin/python3 "$R/usr/bin/swift-ring-builder" "$S/etc/$t.builder" create 8 1 1 >/dev/null
  /usr/bin/python3 "$R/usr/bin/swift-ring-builder" "$S/etc/$t.builder" add "r1z1-127.0.0.1:$p/d1" 100 >/dev/null
  /usr/bin/python3 "$R/usr/bin/swift-ring-builder" "$S/etc/$t.builder" rebalance >/dev/null || true
done
# Swift reads /etc/swift/swift.conf before swift_dir applies; this shim points it at ours.
cat > "$S/swiftrun.py" <<'EOF'
import os, runpy, sys
import swift.common.utils as u
u.SWIFT_CONF_FILE = os.environ['SWIFT_CONF_FILE']
script = sys.argv[1]; sys.argv = sys.argv[1:]
runpy.run_path(script, run_name='__main__')
EOF
# Foreground launcher. The Swift servers call setsid(), so a process-group kill does not reach
# them: every pid goes to run/pids (read by scripts/swift.mjs) and is killed on TERM/INT.
cat > "$S/start.sh" <<EOF
#!/bin/bash
export PYTHONPATH="$PYP" LD_LIBRARY_PATH="$R/usr/lib/x86_64-linux-gnu" SWIFT_CONF_FILE="$S/etc/swift.conf"
PY="/usr/bin/python3 $S/swiftrun.py"; PIDS=""
trap 'kill \$PIDS 2>/dev/null; wait; exit 0' TERM INT
$R/usr/bin/memcached -l 127.0.0.1 -p $MC -U 0 -m 64 \$( [ "\$(id -u)" = 0 ] && echo -u root ) & PIDS="\$PIDS \$!"
for s in account container object; do \$PY $R/usr/bin/swift-\$s-server $S/etc/\$s-server.conf & PIDS="\$PIDS \$!"; done
echo "\$PIDS" > $S/run/pids
for p in $MC $OBJ $CON $ACC; do for i in \$(seq 1 600); do (exec 3<>/dev/tcp/127.0.0.1/\$p) 2>/dev/null && break; sleep 0.05; done; done
\$PY $R/usr/bin/swift-proxy-server $S/etc/proxy-server.conf & PIDS="\$PIDS \$!"
echo "\$PIDS" > $S/run/pids
wait
EOF
chmod +x "$S/start.sh"
