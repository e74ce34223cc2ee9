#!/usr/bin/env bash
# A private single-node Slurm cluster for the Slurm executor's tests and benchmarks:
# munged with a fresh key, slurmctld and slurmd with a slurm.conf of their own, every
# path and port under DIR, nothing of the machine's own Slurm or munge touched.
#
#   scripts/slurm-test-cluster.sh start DIR   # prints nothing; SLURM_CONF=DIR/slurm.conf
#   scripts/slurm-test-cluster.sh stop DIR
#
# Runs as root (slurmd starts jobs as their owner) and without systemd.
# Partitions: "test" (the default: 4 CPUs, 60 min), and "small", whose memory cap per node
# (1000 MB) sinfo does not show, so that a job over it is refused by Slurm at run time.
set -euo pipefail

action=${1:-}
dir=${2:-}
if [[ -z "$action" || -z "$dir" ]]; then
  echo "usage: $0 start|stop DIR" >&2
  exit 2
fi

stop() {
  # Jobs first, while the controller can still end them.
  if [[ -f "$dir/slurm.conf" && -f "$dir/slurmctld.pid" ]]; then
    export SLURM_CONF="$dir/slurm.conf"
    jobs=$(squeue -h -o %i 2>/dev/null || true)
    if [[ -n "$jobs" ]]; then
      # shellcheck disable=SC2086
      scancel $jobs 2>/dev/null || true
      for _ in $(seq 50); do
        [[ -z "$(squeue -h -t R,CG -o %i 2>/dev/null || true)" ]] && break
        sleep 0.1
      done
    fi
  fi
  for pidfile in "$dir/slurmd.pid" "$dir/slurmctld.pid" "$dir/munged.pid"; do
    [[ -f "$pidfile" ]] || continue
    pid=$(cat "$pidfile" 2>/dev/null || true)
    if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$pidfile"
  done
}

if [[ "$action" == stop ]]; then
  stop
  exit 0
fi
[[ "$action" == start ]] || { echo "usage: $0 start|stop DIR" >&2; exit 2; }

if [[ "$(id -u)" -ne 0 ]]; then
  echo "slurm-test-cluster: needs root (slurmd runs jobs as their user)" >&2
  exit 1
fi
for tool in munged mungekey slurmctld slurmd sbatch sinfo; do
  command -v "$tool" >/dev/null || { echo "slurm-test-cluster: $tool missing (apt-get install slurm-wlm munge)" >&2; exit 1; }
done

stop
rm -rf "$dir"
mkdir -p "$dir"/{state,spool,log}
dir=$(cd "$dir" && pwd)
chmod 700 "$dir"

# Two free TCP ports for slurmctld and slurmd.
free_port() {
  local port
  for _ in $(seq 200); do
    port=$((20000 + RANDOM % 40000))
    if ! ss -Htln "sport = :$port" 2>/dev/null | grep -q .; then echo "$port"; return; fi
  done
  echo "slurm-test-cluster: no free port" >&2
  exit 1
}
ctld_port=$(free_port)
slurmd_port=$(free_port)
while [[ "$slurmd_port" == "$ctld_port" ]]; do slurmd_port=$(free_port); done

node=$(hostname -s)
mungekey --create --keyfile="$dir/munge.key"
munged --force --socket="$dir/munge.socket" --key-file="$dir/munge.key" \
  --log-file="$dir/log/munged.log" --pid-file="$dir/munged.pid" --seed-file="$dir/munged.seed"

cat > "$dir/slurm.conf" <<CONF
ClusterName=securemark-test
SlurmctldHost=$node
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
AuthType=auth/munge
AuthInfo=socket=$dir/munge.socket
CredType=cred/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU_Memory
ReturnToService=2
# Four CPUs on a two-core machine, so that a multi-party step's three jobs run at once.
SlurmdParameters=config_overrides
MinJobAge=600
NodeName=$node CPUs=4 RealMemory=8000 State=UNKNOWN
PartitionName=test Nodes=$node Default=YES MaxTime=60 DefMemPerCPU=1000 State=UP
PartitionName=small Nodes=$node MaxTime=60 DefMemPerCPU=500 MaxMemPerNode=1000 State=UP
CONF

export SLURM_CONF="$dir/slurm.conf"
slurmctld -f "$SLURM_CONF"
slurmd -f "$SLURM_CONF"
for _ in $(seq 100); do
  if sinfo -h -o '%T' 2>/dev/null | grep -qx idle; then exit 0; fi
  sleep 0.2
done
echo "slurm-test-cluster: the node did not become idle; logs in $dir/log" >&2
tail -5 "$dir"/log/*.log >&2 || true
exit 1
