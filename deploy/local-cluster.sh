#!/usr/bin/env bash
# Starts (start) or stops (stop) a local EdgeServe cluster of real
# edgeserve-node processes: two regions of two nodes on 127.0.0.1-4, each on
# Triton's ports of its own address, data and logs under DIR/<name>. Every
# address is a loopback address.
#   local-cluster.sh start BIN_DIR DIR ZOO_DIR MODEL...
#   local-cluster.sh stop DIR
set -euo pipefail

NODES=("edge-eu-1 127.0.0.1 eu" "edge-eu-2 127.0.0.2 eu" "edge-us-1 127.0.0.3 us" "edge-us-2 127.0.0.4 us")

stop() {
	local dir=$1 any=0
	for n in "${NODES[@]}"; do
		read -r name _ _ <<<"$n"
		if [[ -f $dir/$name/pid ]]; then
			kill "$(cat "$dir/$name/pid")" 2>/dev/null || true
			rm -f "$dir/$name/pid"
			any=1
		fi
	done
	# The nodes drain and leave the cluster; wait for them to exit.
	for _ in $(seq 100); do pgrep -f "edgeserve-node --data-dir $dir/" >/dev/null || break; sleep 0.1; done
	if [[ $any == 1 ]]; then echo "stopped the local cluster"; fi
}

start() {
	local bin=$1 dir=$2 zoo=$3
	shift 3
	stop "$dir" >/dev/null
	for n in "${NODES[@]}"; do
		read -r name ip region <<<"$n"
		rm -rf "${dir:?}/$name" # a demo cluster starts empty: the pushes below set each model's task
		mkdir -p "$dir/$name"
		"$bin/edgeserve-node" --data-dir "$dir/$name" --name "$name" --region "$region" \
			--grpc-addr "$ip:8001" --http-addr "$ip:8000" --metrics-addr "$ip:8002" \
			--gossip-addr "$ip:7946" --join 127.0.0.1:7946 --raft-addr "$ip:8300" --bootstrap-expect 2 >"$dir/$name/node.log" 2>&1 &
		echo $! >"$dir/$name/pid"
	done
	for n in "${NODES[@]}"; do
		read -r name ip _ <<<"$n"
		for i in $(seq 200); do
			curl -sf "http://$ip:8000/v2/health/ready" >/dev/null && break
			if [[ $i == 200 ]]; then echo "$name did not start; its log:"; cat "$dir/$name/node.log"; exit 1; fi
			sleep 0.1
		done
	done
	# Gossip needs a moment to spread the members.
	for i in $(seq 100); do
		[[ $("$bin/edgeserve" cluster status --json --addr 127.0.0.4:8001 | grep -c '"health": "alive"') == 4 ]] && break
		sleep 0.1
	done
	# Each model is pushed with its manifest's task and accuracy (a percent
	# there, a fraction here), so that requests can name the task.
	for m in "$@"; do
		task=$(tr -d ' \n' <"$zoo/$m.json" | sed -n 's/.*"task":"\([^"]*\)".*/\1/p')
		acc=$(tr -d ' \n' <"$zoo/$m.json" | sed -n 's/.*"accuracy":\([0-9.]*\).*/\1/p' | awk '{print $1 / 100}')
		"$bin/edgeserve" models push "$m" "$zoo/$m.onnx" --task "$task" --accuracy "${acc:-0}" --addr 127.0.0.1:8001
	done
}

case ${1:-} in
start) shift; start "$@" ;;
stop) shift; stop "$@" ;;
*) echo "usage: $0 start BIN_DIR DIR ZOO_DIR MODEL... | stop DIR" >&2; exit 2 ;;
esac
