# Shared by the files in checks/: counters, result lines, and helpers for launched process trees.
# run.sh sources this first and sets root, bin, run, work (the working directory), recipe, data.
passed=0 failed=0
ok()   { passed=$((passed + 1)); echo "PASS  $1"; }
bad()  { failed=$((failed + 1)); echo "FAIL  $1"; shift; for line in "$@"; do echo "      $line"; done; }
json() { sed -n "s/.*\"$2\" : \([0-9.eE+-]*\).*/\1/p" "$1"; }

# Signals go to processes of the launched tree: `timeout` ($!) runs mpirun (launch/run execs
# it), whose children are the ranks, each known by OMPI_COMM_WORLD_RANK in its environment.
mpirun_of() { pgrep -P "$1" | head -1; }
rank_pid() {  # TIMEOUT_PID RANK
  local p
  for p in $(pgrep -P "$(mpirun_of "$1")"); do
    tr '\0' '\n' < "/proc/$p/environ" 2>/dev/null | grep -qx "OMPI_COMM_WORLD_RANK=$2" && { echo "$p"; return; }
  done
}
await() {  # LOG PATTERN: true once the pattern is in the log, false after 30 s
  local _
  for _ in $(seq 1 300); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
  return 1
}

# expect_failure NAME PATTERN -- COMMAND...
expect_failure() {
  local name=$1 pattern=$2; shift 3
  local start=$SECONDS out code
  out=$(timeout 60 "$@" 2>&1); code=$?
  if [ $code = 124 ]; then bad "$name: hung (killed after 60 s)" "$(echo "$out" | tail -3)"
  elif [ $code = 0 ]; then bad "$name: exited 0" "$(echo "$out" | tail -3)"
  elif ! echo "$out" | grep -qF -- "$pattern"; then bad "$name: message lacks \"$pattern\"" "$(echo "$out" | grep -v '^\s*$' | head -5)"
  else ok "$name: exit $code in $((SECONDS - start)) s, \"$pattern\""; fi
}

# same_over_ranks TAG RECIPE RANKS BATCH WHAT ARGS…: trains RECIPE with ARGS on 1 rank × RANKS·BATCH
# (into TAG1/) and on RANKS ranks × BATCH (into TAG<RANKS>/); passes when the final parameters
# agree to 1e-5 relative.
same_over_ranks() {
  local tag=$1 recipe=$2 ranks=$3 batch=$4 what=$5 out=""
  shift 5
  if timeout 300 "$run" -n 1 -- train "$recipe" "$@" --set training.batch_per_rank=$((ranks * batch)) --out "${tag}1" > "${tag}1.log" 2>&1 \
     && timeout 300 "$run" -n "$ranks" -- train "$recipe" "$@" --set training.batch_per_rank="$batch" --out "$tag$ranks" > "$tag$ranks.log" 2>&1 \
     && out=$("$bin" compare "$tag$ranks/model.h5" "${tag}1/model.h5" --rtol 1e-5); then
    ok "$what: $ranks ranks x $batch = 1 rank x $((ranks * batch)) ($out)"
  else
    bad "$what: $ranks ranks x $batch vs 1 rank x $((ranks * batch))" "$(tail -2 "${tag}1.log")" "$(tail -2 "$tag$ranks.log")" "$out"
  fi
}
