# Cluster profile: a generic Slurm machine; run inside an allocation (salloc or sbatch).
#   launch/run --cluster slurm -n 64 --ranks-per-node 16 --threads 2 -- train recipe.yaml
# srun starts one task per rank with THREADS cores each, bound to them. --cpus-per-task is
# given to srun explicitly: since Slurm 22.05 srun no longer inherits it from sbatch.
# --hosts/--hostfile do not apply: the allocation decides the nodes.

SRUN_OPTIONS=()  # a profile built on this one adds its own

# The PMI plugin that connects srun's tasks into one MPI world, unless SLURM_MPI_TYPE (or the
# cluster's MpiDefault, which srun then reports first) chose one: pmix where srun offers it
# (Debian's Open MPI starts only under pmix; with MpiDefault=none and no --mpi each task's MPI
# comes up alone, which Lockstep refuses), else pmi2. Nothing when srun cannot be asked.
pmi_plugin() {
  [ -z "${SLURM_MPI_TYPE:-}" ] || return 0
  local list; list=$(srun --mpi=list 2>&1) || return 0
  if grep -qw pmix <<< "$list"; then echo pmix; elif grep -qw pmi2 <<< "$list"; then echo pmi2; fi
}

launcher_command() {
  [ -z "$HOSTS$HOSTFILE" ] || { echo "launch/run: --hosts/--hostfile do not apply under Slurm: the allocation decides the nodes" >&2; exit 2; }
  CMD=(srun "${SRUN_OPTIONS[@]}")
  local pmi; pmi=$(pmi_plugin)
  [ -z "$pmi" ] || CMD+=(--mpi="$pmi")
  CMD+=(--cpus-per-task="$THREADS" --cpu-bind=cores)
  [ -n "$RANKS" ] && CMD+=(--ntasks="$RANKS")
  [ -n "$PER_NODE" ] && CMD+=(--ntasks-per-node="$PER_NODE")
  # Open MPI reads MCA parameters from OMPI_MCA_name variables in each task's environment.
  local exports; exports=$( { forwarded_variables; for m in "${MCA[@]}"; do echo "OMPI_MCA_$m"; done; } | paste -sd, -)
  CMD+=(--export="ALL,$exports" "$@")
}

default_threads() {  # Slurm's cores per task when set, else 1
  echo "${SLURM_CPUS_PER_TASK:-1}"
}

# Hours in a Slurm time limit: MM, MM:SS, HH:MM:SS, D-HH, D-HH:MM, D-HH:MM:SS.
slurm_hours() {
  local t=$1 days=0 h=0 m=0 s=0
  if [[ "$t" == *-* ]]; then days=${t%%-*}; t=${t#*-}; IFS=: read -r h m s <<< "$t"
  else
    case $(tr -cd : <<< "$t" | wc -c) in 0) m=$t ;; 1) IFS=: read -r m s <<< "$t" ;; *) IFS=: read -r h m s <<< "$t" ;; esac
  fi
  for v in "$days" "${h:-0}" "${m:-0}" "${s:-0}"; do [[ "$v" =~ ^[0-9]+$ ]] || return 1; done
  awk -v d="$days" -v h="${h:-0}" -v m="${m:-0}" -v s="${s:-0}" 'BEGIN { printf "%.4f\n", d * 24 + h + m / 60 + s / 3600 }'
}

sbatch_directives() { :; }
job_setup() { :; }
