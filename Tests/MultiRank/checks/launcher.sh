# Sourced by Tests/MultiRank/run.sh (helpers in lib.sh). Launchers, as dry runs.

# --- launcher (dry runs) ------------------------------------------------------------------------
dry=$("$run" -n 4 --dry-run -- train x.yaml)
cores=$(nproc)
if echo "$dry" | grep -q "^mpirun .*-np 4" && echo "$dry" | grep -q "OPENBLAS_NUM_THREADS=1" \
   && { [ "$cores" -ge 4 ] || echo "$dry" | grep -q -- "--oversubscribe"; }; then
  ok "launch/run --dry-run: $dry"
else
  bad "launch/run --dry-run" "$dry"
fi

# Single-copy shared memory: the local profile takes what lockstep measured, or LOCKSTEP_SINGLE_COPY.
measured=$("$bin" doctor --single-copy)
if echo "$dry" | grep -q -- "--mca btl_vader_single_copy_mechanism $measured " \
   && LOCKSTEP_SINGLE_COPY=cma "$run" -n 2 --dry-run -- train x.yaml | grep -q -- "single_copy_mechanism cma " \
   && ! LOCKSTEP_SINGLE_COPY=xpmem "$run" -n 2 --dry-run -- train x.yaml > single-copy.log 2>&1 \
   && grep -q "LOCKSTEP_SINGLE_COPY must be cma or none, got 'xpmem'" single-copy.log; then
  ok "local launcher: single-copy mechanism as measured here ($measured), LOCKSTEP_SINGLE_COPY=cma obeyed, xpmem refused by name"
else
  bad "local launcher single-copy choice" "$dry" "$(cat single-copy.log 2>/dev/null)"
fi

# Across hosts: Open MPI's host list, one core per BLAS thread, bound; the environment ranks need
# goes to every host with -x (remote ranks inherit nothing), MCA parameters pass through.
dry=$(OPENBLAS_CORETYPE=Haswell LOCKSTEP_FAULT_INJECTION=poison:1:2 "$run" --hosts node1:4,node2:4 --threads 2 \
      --mca btl_tcp_if_include=ib0 --dry-run -- train x.yaml)
if echo "$dry" | grep -q -- '--host node1:4\\,node2:4' && echo "$dry" | grep -q -- "--map-by slot:PE=2 --bind-to core" \
   && echo "$dry" | grep -q -- "-x OPENBLAS_NUM_THREADS=2" && echo "$dry" | grep -q -- "-x OPENBLAS_CORETYPE=Haswell" \
   && echo "$dry" | grep -q -- "-x LOCKSTEP_FAULT_INJECTION=poison:1:2" && echo "$dry" | grep -q -- "--mca btl_tcp_if_include ib0"; then
  ok "launch/run --hosts: host list, 2 cores per rank bound, environment forwarded with -x, MCA passed through"
else
  bad "launch/run --hosts --dry-run" "$dry"
fi
printf 'node1 slots=8\nnode2 slots=8\n' > hosts.txt
dry=$("$run" --hostfile hosts.txt --ranks-per-node 4 --threads 2 --dry-run -- train x.yaml)
if echo "$dry" | grep -q -- "--map-by ppr:4:node:PE=2" && echo "$dry" | grep -q -- "--hostfile hosts.txt" && ! echo "$dry" | grep -q -- "-np"; then
  ok "launch/run --hostfile --ranks-per-node 4: ppr:4:node:PE=2, the hostfile's slots decide the rank count"
else
  bad "launch/run --hostfile --dry-run" "$dry"
fi
expect_failure "launch/run with a missing hostfile" "hostfile nope.txt not found" -- "$run" --hostfile nope.txt -- train x.yaml
expect_failure "launch/run with a malformed host list" "--hosts takes NODE[:SLOTS]" -- "$run" --hosts "a:0" -- train x.yaml
dry=$(LOCKSTEP_FAULT_INJECTION=poison:1:2 "$run" --cluster slurm -n 64 --ranks-per-node 16 --threads 2 --mca pml=ucx --dry-run -- train x.yaml)
if echo "$dry" | grep -q -- "^srun --cpus-per-task=2 --cpu-bind=cores --ntasks=64 --ntasks-per-node=16" \
   && echo "$dry" | grep -q "OMPI_MCA_pml=ucx" && echo "$dry" | grep -q "LOCKSTEP_FAULT_INJECTION=poison:1:2"; then
  ok "launch/run --cluster slurm: srun with 2 cores per task, 16 tasks per node, MCA and Lockstep variables exported"
else
  bad "launch/run --cluster slurm --dry-run" "$dry"
fi
# The PMI plugin, asked of srun (here a stand-in that lists what Debian's Slurm offers).
mkdir -p fake-srun && printf '#!/bin/sh\necho "MPI plugin types are..."; echo "\tnone"; echo "\tpmi2"; echo "\tpmix"\n' > fake-srun/srun && chmod +x fake-srun/srun
dry=$(PATH="$PWD/fake-srun:$PATH" "$run" --cluster slurm -n 3 --dry-run -- train x.yaml)
dry_chosen=$(PATH="$PWD/fake-srun:$PATH" SLURM_MPI_TYPE=pmi2 "$run" --cluster slurm -n 3 --dry-run -- train x.yaml)
if echo "$dry" | grep -q -- "^srun --mpi=pmix --cpus-per-task" && ! echo "$dry_chosen" | grep -q -- "--mpi="; then
  ok "launch/run --cluster slurm: srun --mpi=pmix when srun offers it; SLURM_MPI_TYPE, when set, decides"
else
  bad "launch/run --cluster slurm: the PMI plugin (step 1: picked; 2: SLURM_MPI_TYPE respected)" "$dry" "$dry_chosen"
fi

script=$("$root/launch/sbatch" -n 8 --time 00:30:00 --dry-run -- "$recipe")
if echo "$script" | grep -q -- "--signal=USR1@120" && echo "$script" | grep -q -- "--resume auto" \
   && echo "$script" | grep -q 'scontrol requeue' && echo "$script" | grep -q -- "--cluster slurm -n 8"; then
  ok "launch/sbatch --dry-run: USR1 120 s before the limit, requeue on exit 75, --resume auto"
else
  bad "launch/sbatch --dry-run" "$script"
fi

# Jean Zay: the CPU partition, one thread per physical core, the QoS the time limit needs, the
# account it must have, and limits it must respect.
script=$("$root/launch/sbatch" --cluster jean-zay --account abc@cpu -n 80 --ranks-per-node 20 --threads 2 --time 30:00:00 --dry-run -- "$recipe")
if echo "$script" | grep -q -- "--partition=cpu_p1" && echo "$script" | grep -q -- "--hint=nomultithread" \
   && echo "$script" | grep -q -- "--qos=qos_cpu-t4" && echo "$script" | grep -q -- "--account=abc@cpu" \
   && echo "$script" | grep -q "^module purge" && echo "$script" | grep -q -- "launch/run --cluster jean-zay -n 80 --ranks-per-node 20 --threads 2"; then
  ok "launch/sbatch --cluster jean-zay: cpu_p1, nomultithread, qos_cpu-t4 for 30 h, account, modules, 20 ranks × 2 threads per node"
else
  bad "launch/sbatch --cluster jean-zay --dry-run" "$script"
fi
expect_failure "Jean Zay without an account" "Jean Zay needs the project account" -- "$root/launch/sbatch" --cluster jean-zay -n 8 --dry-run -- "$recipe"
expect_failure "Jean Zay's dev QoS beyond 2 h" "exceeds qos_cpu-dev's 2 h" -- "$root/launch/sbatch" --cluster jean-zay -A abc@cpu --qos qos_cpu-dev --time 03:00:00 -n 8 --dry-run -- "$recipe"
dry=$("$run" --cluster jean-zay -n 80 --ranks-per-node 20 --threads 2 --dry-run -- train x.yaml)
echo "$dry" | grep -q "^srun --hint=nomultithread --cpus-per-task=2 --cpu-bind=cores --ntasks=80 --ntasks-per-node=20" \
  && ok "launch/run --cluster jean-zay: srun --hint=nomultithread, 2 cores per task" || bad "launch/run --cluster jean-zay --dry-run" "$dry"
