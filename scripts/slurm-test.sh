#!/usr/bin/env bash
# A real Slurm test on this one machine: starts a private one-node cluster (munged, slurmctld,
# slurmd, all from a temp dir, as root), runs a sweep as a 4-task array job through
# deploy/slurm/sweep.sbatch, merges the shards and checks the result is byte for byte the
# unsharded sweep's file. Everything it starts is stopped and removed on exit, failure or
# interrupt; daemons it did not start are left alone.
#
#   scripts/slurm-test.sh [BINARY] [LINK]
#
# BINARY defaults to target/debug/methodlab, LINK to the small sweep below. Needs root (the
# daemons run as root, without systemd, so it works in a container or VM); installs slurm-wlm
# and munge with apt-get when they are missing. Debian 12's Slurm is 22.05.
set -euo pipefail

DEFAULT_LINK='#/basics?v=1&runs=2&points=100&steps=60&lr=0.01,0.03,0.1&units=4,8'
SHARDS=4
# Not Slurm's default ports (6817/6818), so a system Slurm on this machine is not disturbed.
CTLD_PORT=${SLURM_TEST_CTLD_PORT:-16817}
SLURMD_PORT=${SLURM_TEST_SLURMD_PORT:-16818}
READY_TIMEOUT=60

repo=$(cd "$(dirname "$0")/.." && pwd)
# The daemons and clients live in sbin, which a container's PATH may leave out.
export PATH="$PATH:/usr/sbin:/sbin"

die() { echo "slurm-test: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "needs root: slurmd runs jobs as root here, and munged, slurmctld, slurmd are started directly"

# The binary is resolved before anything changes directory, so a relative path means what the
# caller meant; the job gets the absolute path.
bin=${1:-$repo/target/debug/methodlab}
link=${2:-$DEFAULT_LINK}
case $bin in
*/*) bin=$(realpath -e "$bin") || die "no binary at ${1:-target/debug/methodlab}" ;;
*) bin=$(command -v "$bin") || die "$1 is not on PATH" ;;
esac
[ -x "$bin" ] || die "$bin is not executable"

if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
    echo "== installing slurm-wlm and munge"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends slurm-wlm munge >/dev/null
fi

tmp=$(mktemp -d /tmp/methodlab-slurm.XXXXXX)
sbatch_pid=
job_live=
started=$SECONDS

# Stops a daemon by the pid it wrote, only if that pid is still the daemon (comm checked), so a
# stale pidfile never takes down another process.
stop_daemon() {
    local name=$1 pidfile=$2 pid
    [ -s "$pidfile" ] || return 0
    pid=$(cat "$pidfile")
    [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$name" ] || return 0
    kill -TERM "$pid" 2>/dev/null || return 0
    for _ in $(seq 50); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.2
    done
    echo "slurm-test: $name ($pid) ignored SIGTERM for 10 s; killing it" >&2
    kill -KILL "$pid" 2>/dev/null || true
}

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    # Interrupted mid-job: sbatch --wait (our child, not yet reaped, so the pid is still it)
    # goes, and the job is cancelled so slurmstepd and the tasks end before slurmd does. Every
    # job in this private cluster is ours.
    if [ -n "$sbatch_pid" ]; then kill -TERM "$sbatch_pid" 2>/dev/null || true; fi
    if [ -n "$job_live" ]; then
        scancel --user=root 2>/dev/null || true
        for _ in $(seq 20); do
            [ -z "$(squeue -h 2>/dev/null)" ] && break
            sleep 0.5
        done
    fi
    # Each takes about 2 s to shut down; munged goes last, as slurmd may still talk to it.
    local d c
    stop_daemon slurmd "$tmp/slurmd.pid" &
    d=$!
    stop_daemon slurmctld "$tmp/slurmctld.pid" &
    c=$!
    wait "$d" "$c"
    stop_daemon munged "$tmp/munge/munged.pid"
    rm -rf "$tmp"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

logs() {
    local f
    for f in "$tmp"/log/*.log; do
        [ -f "$f" ] || continue
        echo "---- $f (last 25 lines)" >&2
        tail -n 25 "$f" >&2
    done
}

echo "== unsharded sweep: $link"
"$bin" sweep "$link" --out "$tmp/whole.jsonl" --threads 1

echo "== munged"
# munged insists its key is root's and 0600, that no directory above its files is writable by
# others, and that every directory above its socket is searchable by all (mktemp makes 0700).
chmod 711 "$tmp"
mkdir -p "$tmp/munge" "$tmp/log" "$tmp/state" "$tmp/spool"
if command -v mungekey >/dev/null; then
    mungekey --create --keyfile="$tmp/munge/munge.key"
else
    dd if=/dev/urandom of="$tmp/munge/munge.key" bs=1 count=1024 status=none
fi
chmod 600 "$tmp/munge/munge.key"
socket=$tmp/munge/munge.socket
munged --key-file="$tmp/munge/munge.key" --socket="$socket" --pid-file="$tmp/munge/munged.pid" \
    --log-file="$tmp/log/munged.log" --seed-file="$tmp/munge/munged.seed" ||
    { logs; die "munged did not start"; }

echo "== slurm.conf"
host=$(hostname -s)
cpus=$(nproc)
# Half the machine's memory: a RealMemory above what slurmd finds would drain the node.
mem=$(($(awk '/^MemTotal:/ { print $2 }' /proc/meminfo) / 1024 / 2))
export SLURM_CONF=$tmp/slurm.conf
cat >"$SLURM_CONF" <<CONF
ClusterName=methodlab-test
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$socket
CredType=cred/munge
StateSaveLocation=$tmp/state
SlurmdSpoolDir=$tmp/spool
SlurmctldPidFile=$tmp/slurmctld.pid
SlurmdPidFile=$tmp/slurmd.pid
SlurmctldLogFile=$tmp/log/slurmctld.log
SlurmdLogFile=$tmp/log/slurmd.log
# No cgroups: a container or gVisor VM may not let slurmd manage them.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
MpiDefault=none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
JobCompType=jobcomp/none
# slurmctld logs an error at startup when the default (/bin/mail) is missing.
MailProg=/bin/true
AccountingStorageType=accounting_storage/none
ReturnToService=2
# Finished jobs stay visible to scontrol for this long: the checks below read their states.
MinJobAge=600
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=test Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF

echo "== slurmctld, slurmd"
slurmctld -f "$SLURM_CONF" || { logs; die "slurmctld did not start"; }
slurmd -f "$SLURM_CONF" -N "$host" || { logs; die "slurmd did not start"; }
state=
for _ in $(seq "$READY_TIMEOUT"); do
    state=$(sinfo -h -N -n "$host" -o %T 2>/dev/null || true)
    [ "$state" = idle ] && break
    sleep 1
done
if [ "$state" != idle ]; then
    logs
    die "node $host not idle after $READY_TIMEOUT s (sinfo says '${state:-nothing}')"
fi
echo "node $host idle, $cpus CPUs, after $((SECONDS - started)) s"

echo "== sbatch --wait --array=0-$((SHARDS - 1))"
# SWEEP goes through the environment, not --export=...,SWEEP=..., which splits at its commas.
# sbatch runs in the background so that a SIGTERM reaches the trap now (bash defers traps
# until a foreground command returns, and sbatch --wait returns when the job does).
out=$tmp/out
job_live=1
METHODLAB=$bin SWEEP=$link OUT_DIR=$out SHARDS=$SHARDS THREADS=1 \
    sbatch --parsable --wait --array=0-$((SHARDS - 1)) --export=ALL --chdir="$tmp" \
    "$repo/deploy/slurm/sweep.sbatch" >"$tmp/sbatch.jobid" &
sbatch_pid=$!
sbatch_rc=0
wait "$sbatch_pid" || sbatch_rc=$?
sbatch_pid=
jobid=$(cut -d';' -f1 "$tmp/sbatch.jobid")

# Every task must have ended COMPLETED with exit 0; sbatch --wait's status alone is the
# highest exit code, which says nothing about a task that was cancelled or failed to start.
ok=$(scontrol -o show job "$jobid" 2>/dev/null | grep ' JobState=COMPLETED ' | grep -c ' ExitCode=0:0 ' || true)
if [ "$sbatch_rc" != 0 ] || [ "$ok" != "$SHARDS" ]; then
    echo "slurm-test: job ${jobid:-?}: sbatch exited $sbatch_rc, $ok of $SHARDS tasks COMPLETED with exit 0" >&2
    scontrol -o show job "$jobid" 2>/dev/null |
        sed -E 's/.*(ArrayTaskId=[^ ]*).*(JobState=[^ ]*).*(ExitCode=[^ ]*).*/  \1 \2 \3/' >&2 || true
    for f in "$tmp"/*.out; do
        if [ -f "$f" ]; then
            echo "---- $f" >&2
            cat "$f" >&2
        fi
    done
    logs
    exit 1
fi
echo "job $jobid: $SHARDS of $SHARDS tasks COMPLETED, exit 0"
job_live=

echo "== merge, cmp"
"$bin" merge "$out"/shard-*.jsonl >"$tmp/merged.jsonl"
if ! cmp "$tmp/merged.jsonl" "$tmp/whole.jsonl"; then
    echo "---- diff whole.jsonl merged.jsonl (first 40 lines)" >&2
    diff "$tmp/whole.jsonl" "$tmp/merged.jsonl" | head -n 40 >&2 || true
    echo "slurm: $SHARDS-task array job merged != unsharded sweep" >&2
    exit 1
fi
echo "slurm: $SHARDS-task array job merged = unsharded sweep, $(wc -l <"$tmp/whole.jsonl") lines, bit for bit ($((SECONDS - started)) s)"
