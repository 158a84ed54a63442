# lib_e2e.sh -- helpers of the end-to-end test scripts (sourced, not run):
#   check NAME COMMAND...        counts a pass, or prints FAIL: NAME
#   expect_code CODE COMMAND...  runs COMMAND (stdout to out.txt, stderr to
#                                err.txt); fails unless it exits with CODE
# and sets py (Debian's system Python) and the counters fails, passes.
py=/usr/bin/python3
fails=0 passes=0
check() { # check NAME COMMAND...
  local name=$1; shift
  if "$@"; then passes=$((passes+1)); else echo "FAIL: $name"; fails=$((fails+1)); fi
}
expect_code() { # expect_code CODE COMMAND...
  local want=$1; shift
  "$@" >out.txt 2>err.txt; local got=$?
  if [ "$got" != "$want" ]; then echo "  exit $got, expected $want: $*"; sed 's/^/  | /' err.txt | head -5; return 1; fi
}
