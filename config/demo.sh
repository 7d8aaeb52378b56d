#!/usr/bin/env bash
# `make demo`: a local mosquitto, the Modbus simulator, the gateway on config/demo.yaml, and a
# subscriber printing what arrives, until Ctrl-C. Everything started here is stopped by its PID
# on the way out.
set -euo pipefail
build_dir=${1:-build/dev}
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
bin="$root/$build_dir/gateway/cli/edgegate"
sim="$root/$build_dir/drivers/edgegate-modbus-sim"
run="$root/build/demo"
mkdir -p "$run"

port_taken() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
port=1883
while port_taken "$port"; do port=$((port + 1)); done
modbus_port=1502
while port_taken "$modbus_port"; do modbus_port=$((modbus_port + 1)); done

pids=()
cleanup() {
    trap - INT TERM EXIT
    # Newest first: the subscriber, then the gateway (it says goodbye to the broker), the Modbus
    # simulator, the broker.
    for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
        kill "${pids[i]}" 2>/dev/null || true
        wait "${pids[i]}" 2>/dev/null || true
    done
    echo
    echo "--- edgegate status ---"
    "$bin" status -c "$run/demo.yaml" || true
    echo "(demo files are in $run; the gateway's log is $run/edgegate.log)"
}
trap cleanup INT TERM EXIT

cat > "$run/mosquitto.conf" <<CONF
listener $port 127.0.0.1
allow_anonymous true
persistence false
log_dest file $run/mosquitto.log
CONF
chmod 0777 "$run"
# setsid: Ctrl-C reaches this script only, which then stops everything in order.
setsid mosquitto -c "$run/mosquitto.conf" &
pids+=($!)
for _ in $(seq 100); do port_taken "$port" && break; sleep 0.1; done
port_taken "$port" || { echo "mosquitto did not start (see $run/mosquitto.log)"; exit 1; }
echo "mosquitto on 127.0.0.1:$port"

setsid "$sim" --port "$modbus_port" > "$run/modbus-sim.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do port_taken "$modbus_port" && break; sleep 0.1; done
port_taken "$modbus_port" || { echo "the Modbus simulator did not start (see $run/modbus-sim.log)"; exit 1; }
echo "Modbus simulator on 127.0.0.1:$modbus_port"

sed -e "s#tcp://127.0.0.1:1883#tcp://127.0.0.1:$port#" \
    -e "s#port: 1502 #port: $modbus_port #" "$here/demo.yaml" > "$run/demo.yaml"
"$bin" check -c "$run/demo.yaml"
setsid "$bin" run -c "$run/demo.yaml" 2> "$run/edgegate.log" &
pids+=($!)
echo "edgegate running (pid ${pids[-1]}); showing everything under edgegate/# — Ctrl-C stops the demo"
# One command to the meter's writable setpoint, answered on .../cmd/meter/setpoint/result and
# audited on edgegate/demo-gw/audit; send your own the same way.
command=(mosquitto_pub -h 127.0.0.1 -p "$port" -q 1 -t edgegate/demo-gw/cmd/meter/setpoint
         -m '{"value": 21.5, "id": "demo-1"}')
echo "in 5 s: ${command[*]}"
(sleep 5 && "${command[@]}") &
pids+=($!)
# Alerts on lines of their own, everything else as it arrives.
mosquitto_sub -h 127.0.0.1 -p "$port" -t 'edgegate/+/alerts/#' -F '*** ALERT %t %p' &
pids+=($!)
mosquitto_sub -h 127.0.0.1 -p "$port" -t 'edgegate/#' -T 'edgegate/+/alerts/#' -v &
pids+=($!)
wait "${pids[-1]}"
