# Cluster profile: a generic Slurm machine; run inside an allocation (salloc/sbatch).
# srun starts one task per rank; each task gets THREADS cores for OpenBLAS.

launcher_command() {
  local ranks=$1 threads=$2; shift 2
  CMD=(srun --ntasks="$ranks" --cpus-per-task="$threads" --cpu-bind=cores
       --export=ALL,OPENBLAS_NUM_THREADS="$threads",OMP_NUM_THREADS="$threads"
       "$@")
}

default_threads() {  # Slurm's cores per task when set, else 1
  echo "${SLURM_CPUS_PER_TASK:-1}"
}
