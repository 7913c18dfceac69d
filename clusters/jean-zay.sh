# Cluster profile: IDRIS Jean Zay, CPU partition cpu_p1 (40 cores per node: 2 × Intel Xeon
# Gold 6248, Cascade Lake with AVX-512; Omni-Path 100 Gb/s between nodes).
#   launch/sbatch --cluster jean-zay --account abc@cpu -n 80 --ranks-per-node 20 --threads 2 --time 10:00:00 -- recipe.yaml
#   launch/run --cluster jean-zay -n 80 --ranks-per-node 20 --threads 2 -- train recipe.yaml   (inside an allocation)
# As the generic Slurm profile (srun, --cpus-per-task given to srun), plus:
# - --hint=nomultithread: one task thread per physical core (the nodes have hyperthreads);
#   keep ranks per node × threads ≤ 40.
# - the account is PROJECT@cpu (-A); QoS: qos_cpu-t3 (the default, up to 20 h), qos_cpu-t4
#   (up to 100 h), qos_cpu-dev (up to 2 h, few jobs: for trying things). launch/sbatch picks
#   qos_cpu-t4 for a time limit over 20 h, and refuses one over 100 h.
# - compute nodes have no internet: shard data and fetch pretrained weights on a login node
#   (or the prepost partition) first; keep data and recipes on $WORK, runs on $SCRATCH (fast,
#   not backed up, files unused for 30 days are removed): copy what you keep to $WORK/$STORE.
# - modules: the lines in job_setup below are an example (module names change: `module avail
#   openmpi hdf5`); lockstep must be built on Jean Zay against the same MPI and HDF5.
# Tested here only through --dry-run: no Slurm cluster was available to this project's tests.
source "$root/clusters/slurm.sh"
SRUN_OPTIONS=(--hint=nomultithread)

# Extra #SBATCH lines for launch/sbatch, given the time limit (HH:MM:SS or D-HH:MM:SS) and the QoS asked for ("" for the default).
sbatch_directives() {
  local time=$1 qos=$2 hours
  hours=$(slurm_hours "$time") || { echo "launch/sbatch: cannot read the time limit '$time' (HH:MM:SS or D-HH:MM:SS)" >&2; return 2; }
  [ -n "$ACCOUNT" ] || { echo "launch/sbatch: Jean Zay needs the project account: --account PROJECT@cpu" >&2; return 2; }
  [[ "$ACCOUNT" == *@cpu ]] || echo "launch/sbatch: warning: CPU hours on Jean Zay are charged to PROJECT@cpu, got '$ACCOUNT'" >&2
  [ -n "$qos" ] || { if awk -v h="$hours" 'BEGIN { exit !(h > 20) }'; then qos=qos_cpu-t4; fi; }
  local limit=20
  case "$qos" in qos_cpu-dev) limit=2 ;; qos_cpu-t4) limit=100 ;; ""|qos_cpu-t3) limit=20 ;;
    *) echo "launch/sbatch: unknown Jean Zay CPU QoS '$qos' (qos_cpu-dev, qos_cpu-t3, qos_cpu-t4)" >&2; return 2 ;; esac
  awk -v h="$hours" -v l="$limit" 'BEGIN { exit !(h <= l) }' \
    || { echo "launch/sbatch: a time limit of $time exceeds ${qos:-qos_cpu-t3}'s $limit h" >&2; return 2; }
  echo "#SBATCH --partition=cpu_p1"
  echo "#SBATCH --hint=nomultithread"
  [ -z "$qos" ] || echo "#SBATCH --qos=$qos"
}

# Lines the batch script runs before launching.
job_setup() {
  cat <<'SETUP'
module purge
module load gcc/12.2.0 openmpi/4.1.5 hdf5/1.12.0-mpi   # example: match what lockstep was built with
export OMPI_MCA_btl_openib_warn_no_device_params_found=0
SETUP
}
