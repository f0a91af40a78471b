#!/bin/sh
# A stand-in `tea` basefile for the fault suite: honours the scoped-run contract
# (tea run WF --entry-point B --exit-point F --input IN --output OUT) in plain sh,
# so transport faults are tested without paying Node's start-up per branch.
# The branch name selects a behaviour.
shift # "run"
shift # workflow path
while [ $# -gt 0 ]; do
  case "$1" in
    --entry-point=*) branch=${1#*=} ;;
    --input=*) in=${1#*=} ;;
    --output=*) out=${1#*=} ;;
    --entry-point) branch=$2; shift ;;
    --input) in=$2; shift ;;
    --output) out=$2; shift ;;
  esac
  shift
done
case "$branch" in
  missing) exit 0 ;;
  corrupt) printf 'not json{' > "$out"; exit 0 ;;
  array) printf '[1,2]' > "$out"; exit 0 ;;
  fail) echo "fake tea: branch failed with a reason" >&2; exit 3 ;;
  usage) echo "Error: --entry-point \"usage\": no such node" >&2; exit 2 ;;
  slow*) sleep 2 ;;
  daemon*)
    # leaves its process group and session, outputs detached: only the wrapper's mark finds it
    setsid nohup sleep 1001 </dev/null >/dev/null 2>&1 &
    ;;
  hang)
    # ignores TERM, and so does its child: only KILL ends them
    trap '' TERM
    sh -c "trap '' TERM; sleep 300" &
    sleep 300
    ;;
esac
tmp="$out.tmp.$$"
printf '{"branch":"%s","ran_pid":%s,"input":%s}' "$branch" "$$" "$(cat "$in")" > "$tmp" && mv "$tmp" "$out"
