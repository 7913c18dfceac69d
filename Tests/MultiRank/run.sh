#!/usr/bin/env bash
# Multi-rank tests: the real `lockstep` binary under mpirun, through launch/run.
#   Tests/MultiRank/run.sh [CONCERN…]   concerns: the files of checks/ (default: all, in order)
# Needs a release build (.build/release/lockstep). Prints one line per check and, last,
# "N passed, N failed". Every failing-input case runs under a timeout: an error must end all
# ranks within seconds, never hang. checks/data.sh always runs first: the others train on it.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
bin="$root/.build/release/lockstep"
run="$root/launch/run"
work=$(mktemp -d "${TMPDIR:-/tmp}/lockstep-multirank.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
source "$here/lib.sh"

recipe="$root/examples/fashion-mnist-mlp.yaml"
data=(--set data.train="$work/data/fashion-mnist-train.manifest.json" --set data.test="$work/data/fashion-mnist-test.manifest.json")
ck=(--set data.test=null --set training.log_every=20)  # short runs whose checkpoints matter, not their accuracy

concerns=("$@")
[ ${#concerns[@]} -gt 0 ] || concerns=(blas training library images export checkpoints faults bad-input monitoring verification fuzz bench launcher)
source "$here/checks/data.sh"
for c in "${concerns[@]}"; do
  [ -f "$here/checks/$c.sh" ] || { echo "run.sh: no checks/$c.sh" >&2; exit 2; }
  source "$here/checks/$c.sh"
done

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
