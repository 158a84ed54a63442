#!/usr/bin/env bash
# e2e_checkpoint.sh -- overnight runs: a run killed with SIGTERM leaves a
# checkpoint and no results file; --resume finishes it with results
# identical, dataset by dataset, to an uninterrupted run; a checkpoint of
# another config or seed, or a corrupt one, is refused.
# usage: e2e_checkpoint.sh ABSIM SOURCE_DIR SCRATCH_DIR
set -u
absim=$1 src=$2 dir=$3
rm -rf "$dir" && mkdir -p "$dir" && cd "$dir" || exit 1
. "$src/tests/lib_e2e.sh"
cfg="$src/tests/data/checkpoint.yaml"
paths=200000

# Reference: uninterrupted.
"$absim" run "$cfg" --paths $paths --threads 2 --quiet -o full.h5 > /dev/null 2>&1
check "reference run" test -s full.h5

# Wait until the run writing $1 has started (its temporary output exists),
# then a moment more: well before it could finish (one thread; a Release
# build does the $paths paths in about 2.6 s on a 2-core machine).
started() {
  for _ in $(seq 1 200); do
    ls "$1".tmp.* >/dev/null 2>&1 && break
    sleep 0.05
  done
  sleep 0.2
}

# Interrupted by SIGTERM after a moment, checkpoint only on the signal.
"$absim" run "$cfg" --paths $paths --threads 1 --quiet -o part.h5 --checkpoint ck.bin --checkpoint-interval 0 \
  > /dev/null 2> term.err &
pid=$!
started part.h5
kill -TERM $pid
wait $pid; code=$?
check "exit 143 on SIGTERM (got $code)" test "$code" = 143
check "checkpoint left" test -s ck.bin
check "no partial output" test ! -e part.h5
check "no temporary output" test -z "$(ls part.h5.tmp.* 2>/dev/null)"

# Resume with another thread count: identical datasets.
"$absim" run "$cfg" --paths $paths --threads 1 --quiet -o part.h5 --resume ck.bin > /dev/null 2> resume.err
check "resume exit 0" test $? = 0
check "identical datasets" $py "$src/tests/h5same.py" full.h5 part.h5

# Refusals: other seed, other config, corrupt file; all exit 2.
big=$((paths * 20)) # cannot finish before the signal
"$absim" run "$cfg" --paths $big --quiet -o x.h5 --checkpoint ck2.bin --checkpoint-interval 0 \
  >/dev/null 2>&1 &
pid=$!; started x.h5; kill -INT $pid; wait $pid; code=$?
check "exit 130 on SIGINT (got $code)" test "$code" = 130
if [ -s ck2.bin ]; then
  "$absim" run "$cfg" --paths $big --seed 99 --quiet -o y.h5 --resume ck2.bin >/dev/null 2>err.txt
  check "other seed refused" test $? = 2
  check "seed message" grep -q "seed" err.txt
  "$absim" run --paths $big --quiet -o y.h5 --resume ck2.bin >/dev/null 2>err.txt
  check "other config refused" test $? = 2
  check "config message" grep -q "another config" err.txt
  head -c 1000 ck2.bin > bad.bin
  "$absim" run "$cfg" --paths $big --quiet -o y.h5 --resume bad.bin >/dev/null 2>err.txt
  check "truncated refused" test $? = 2
  check "no output after refusal" test ! -e y.h5
else
  echo "FAIL: no checkpoint after SIGINT"; fails=$((fails+1))
fi
"$absim" run "$cfg" --paths 100 --quiet -o y.h5 --resume no-such-file >/dev/null 2>err.txt
check "missing checkpoint refused" test $? = 2

echo "$passes passed, $fails failed"
[ "$fails" = 0 ]
