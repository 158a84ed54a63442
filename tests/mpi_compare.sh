#!/usr/bin/env bash
# mpi_compare.sh -- the MPI + OpenMP build gives the same results, bit for bit,
# as the plain build, for 1, 2 and 3 ranks (oversubscribed on small
# machines), for `run` and `stress`.
# usage: mpi_compare.sh ABSIM_PLAIN SOURCE_DIR SCRATCH_DIR ABSIM_MPI
set -u
absim=$1 src=$2 dir=$3 absim_mpi=$4
rm -rf "$dir" && mkdir -p "$dir" && cd "$dir" || exit 1
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
export OMPI_MCA_btl_vader_single_copy_mechanism=none
. "$src/tests/lib_e2e.sh"
same() { $py "$src/tests/h5same.py" "$1" "$2"; }
cfg="$src/configs/default.yaml"
"$absim" run "$cfg" --paths 5000 --threads 2 --quiet -o plain.h5 >/dev/null
"$absim" stress "$cfg" --paths 3000 --threads 1 --quiet -o plain-stress.h5 >/dev/null
for np in 1 2 3; do
  mpirun -np $np "$absim_mpi" run "$cfg" --paths 5000 --threads 1 --quiet -o mpi$np.h5 >/dev/null 2>mpi$np.err
  check "mpirun -np $np exit" test $? = 0
  check "mpirun -np $np identical" same plain.h5 mpi$np.h5
  check "mpi_ranks attribute" $py -c "import h5py; assert h5py.File('mpi$np.h5').attrs['mpi_ranks']==$np"
done
mpirun -np 2 "$absim_mpi" stress "$cfg" --paths 3000 --threads 1 --quiet -o mpi-stress.h5 >/dev/null 2>&1
check "mpi stress identical" same plain-stress.h5 mpi-stress.h5
mpirun -np 2 "$absim_mpi" run "$cfg" --paths 100 --quiet -o /proc/absim-no/out.h5 >/dev/null 2>&1
check "mpi unwritable exit 3" test $? = 3
echo "$passes passed, $fails failed"
[ "$fails" = 0 ]
