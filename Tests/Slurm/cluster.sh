# A real Slurm cluster on this machine, for the Slurm checks. Sourced by run.sh. Needs root,
# iproute2, util-linux (nsenter, unshare) and Debian's slurmctld, slurmd, slurm-client, munge.
#
#   slurm_up COUNT   starts munged and slurmctld in this network namespace, on a bridge address
#                    10.78.0.1, and one slurmd per node namespace (nodes n1…nCOUNT, 10.78.0.1I,
#                    2 CPUs each), each with its own hostname, /dev/shm, /etc/hosts, spool and
#                    TmpFS; exports SLURM_CONF and waits until every node is idle.
#   slurm_node_pids I   the processes of node I (slurmd and every task it started).
#   slurm_down       stops and removes everything slurm_up made; run.sh calls it on every exit.
# Settings and traps as measured: Debian's MpiDefault=none (the profile must pick pmix), a cgroup
# fs slurmd 22.05 needs (nsenter keeps the host's /sys, `ip netns exec` would not), a TmpFS per
# node for pmix, cred_expire=10 so a requeued job starts ~11 s later instead of 121 s.

slurm_id="lss$$"
slurm_dir=""
slurm_namespaces=()
slurm_bridge=""

slurm_skip_reason() {  # why the cluster cannot run here, or nothing
  [ "$(id -u)" = 0 ] || { echo "needs root (network namespaces, munge, slurmd)"; return; }
  local c
  for c in ip nsenter unshare slurmctld slurmd srun sbatch munged; do
    command -v "$c" > /dev/null || { echo "needs $c (launch/test installs slurmctld slurmd slurm-client munge)"; return; }
  done
  ip netns add "$slurm_id-probe" 2> /dev/null || { echo "ip netns add is refused here (no CAP_SYS_ADMIN?)"; return; }
  ip netns del "$slurm_id-probe"
}

slurm_write_conf() {  # COUNT
  local count=$1 i
  cat > "$slurm_dir/slurm.conf" <<CONF
ClusterName=lockstep-test
SlurmctldHost=$(hostname -s)(10.78.0.1)
MailProg=/bin/true
SlurmctldPort=6917
SlurmdPort=6918
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$slurm_dir/munge/socket,cred_expire=10
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$slurm_dir/state
SlurmdSpoolDir=$slurm_dir/spool/%n
TmpFS=$slurm_dir/tmp/%n
SlurmctldPidFile=$slurm_dir/slurmctld.pid
SlurmdPidFile=$slurm_dir/slurmd-%n.pid
SlurmctldLogFile=$slurm_dir/slurmctld.log
SlurmdLogFile=$slurm_dir/slurmd-%n.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SlurmdParameters=config_overrides
ReturnToService=2
SlurmdTimeout=10
KillWait=5
MinJobAge=300
JobRequeue=1
MpiDefault=none
SchedulerParameters=sched_interval=2
NodeName=n[1-$count] NodeAddr=10.78.0.1[1-$count] CPUs=2 State=UNKNOWN
PartitionName=test Nodes=n[1-$count] Default=YES MaxTime=INFINITE State=UP
CONF
  : > "$slurm_dir/hosts"
  printf '127.0.0.1 localhost\n10.78.0.1 %s\n' "$(hostname -s)" > "$slurm_dir/hosts"
  for i in $(seq 1 "$count"); do
    echo "10.78.0.1$i n$i" >> "$slurm_dir/hosts"
    mkdir -p "$slurm_dir/spool/n$i" "$slurm_dir/tmp/n$i"
  done
}

slurm_start_munge() {
  local m="$slurm_dir/munge"
  mkdir -p "$m" && chown munge:munge "$m" && chmod 700 "$m"
  dd if=/dev/urandom of="$m/key" bs=1024 count=1 status=none && chown munge:munge "$m/key" && chmod 400 "$m/key"
  runuser -u munge -- munged --socket="$m/socket" --key-file="$m/key" --pid-file="$m/pid" --log-file="$m/log" \
    --seed-file="$m/seed" --force
}

slurm_up() {
  local count=$1 i ns
  slurm_dir=$(mktemp -d /tmp/lockstep-slurm.XXXXXX) && chmod 755 "$slurm_dir"
  mkdir -p "$slurm_dir/state"
  slurm_write_conf "$count"
  slurm_start_munge || { echo "munged did not start: $(tail -2 "$slurm_dir/munge/log" 2>/dev/null)"; return 1; }
  slurm_bridge="$slurm_id-br"
  ip link add "$slurm_bridge" type bridge && ip addr add 10.78.0.1/24 dev "$slurm_bridge" && ip link set "$slurm_bridge" up || return 1
  for i in $(seq 1 "$count"); do
    ns="$slurm_id-n$i"
    ip netns add "$ns" && slurm_namespaces+=("$ns") || return 1
    ip link add "${slurm_id}p$i" type veth peer name eth0 netns "$ns" || return 1
    ip link set "${slurm_id}p$i" master "$slurm_bridge" up || return 1
    ip -n "$ns" addr add "10.78.0.1$i/24" dev eth0 && ip -n "$ns" link set eth0 up && ip -n "$ns" link set lo up || return 1
  done
  export SLURM_CONF="$slurm_dir/slurm.conf"
  slurmctld -f "$SLURM_CONF" || { echo "slurmctld did not start: $(tail -3 "$slurm_dir/slurmctld.log")"; return 1; }
  for i in $(seq 1 "$count"); do slurm_start_node "$i"; done
  local _
  for _ in $(seq 1 60); do
    [ -f "$slurm_dir/slurmctld.pid" ] && kill -0 "$(cat "$slurm_dir/slurmctld.pid")" 2>/dev/null \
      || { echo "slurmctld stopped: $(grep error "$slurm_dir/slurmctld.log" | tail -2)"; return 1; }
    [ "$(sinfo -h -o %T 2>/dev/null | grep -c -v '^idle$')" = 0 ] && [ -n "$(sinfo -h -o %T 2>/dev/null)" ] && return 0
    sleep 1
  done
  echo "the nodes did not come up: $(sinfo -h -N -o '%N %T' 2>&1 | paste -sd' ')"; return 1
}

slurm_start_node() {  # I: slurmd of node I, in its namespace with its own hostname, /dev/shm and /etc/hosts
  local i=$1
  nsenter --net="/run/netns/$slurm_id-n$i" unshare --uts --mount --propagation private sh -c \
    "hostname n$i; mount -t tmpfs tmpfs /dev/shm; mount --bind '$slurm_dir/hosts' /etc/hosts; exec slurmd -f '$SLURM_CONF' -N n$i" \
    || echo "slurmd n$i did not start: $(tail -2 "$slurm_dir/slurmd-n$i.log" 2>/dev/null)"
}

slurm_node_pids() { ip netns pids "$slurm_id-n$1" 2> /dev/null; }

slurm_down() {
  local ns
  if [ -n "$slurm_dir" ]; then
    scancel --full $(squeue -h -o %i 2>/dev/null) 2>/dev/null
    for ns in "${slurm_namespaces[@]}"; do ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null; done
    [ -f "$slurm_dir/slurmctld.pid" ] && kill "$(cat "$slurm_dir/slurmctld.pid")" 2>/dev/null
    [ -f "$slurm_dir/munge/pid" ] && kill "$(cat "$slurm_dir/munge/pid")" 2>/dev/null
    sleep 1
  fi
  for ns in "${slurm_namespaces[@]}"; do ip netns del "$ns" 2>/dev/null; done
  [ -n "$slurm_bridge" ] && ip link del "$slurm_bridge" 2>/dev/null
  [ -n "$slurm_dir" ] && rm -rf "$slurm_dir"
  slurm_namespaces=() slurm_bridge="" slurm_dir=""
}
