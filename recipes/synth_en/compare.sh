#!/usr/bin/env bash
# Trained models scored side by side on one corpus's splits, for example the general model beside the
# default and robust ones on the general corpus:
#   ./compare.sh --data data/general_en exp/general_en exp/small exp/robust
# Each run's model is scored on every split the corpus has (splits.sh; greedy, beam and beam+LM with the
# corpus's LM, its weights tuned on the corpus's dev) in exp/compare-<corpus>/<run>/, which links to the run's
# model and training record: the run's own decode/ is left as it is. Then each model's table (asr results), and the first model's
# report with paired comparisons against the others (exp/compare-<corpus>/<first run>/report.html).
set -euo pipefail
cd "$(dirname "$0")"
source ./splits.sh

data=
runs=()
while [ $# -gt 0 ]; do
  case "$1" in
    --data) data=$2; shift 2 ;;
    -*) echo "compare.sh: unknown option $1 (use --data DATA_DIR RUN_DIR...)" >&2; exit 2 ;;
    *) runs+=("$1"); shift ;;
  esac
done
if [ -z "$data" ] || [ ${#runs[@]} -eq 0 ]; then
  echo "compare.sh: give a corpus and the runs to score on it: ./compare.sh --data DATA_DIR RUN_DIR..." >&2
  exit 2
fi
mapfile -t splits < <(scored_splits "$data")
if [ ${#splits[@]} -eq 0 ]; then
  echo "compare.sh: $data/manifests: no split to score (prepare the corpus first)" >&2
  exit 1
fi
scored=()
for run in "${runs[@]}"; do
  if [ ! -f "$run/model/model.json" ] || [ ! -f "$run/training_done.json" ]; then
    echo "compare.sh: $run: not a finished training run (no model/model.json or training_done.json)" >&2
    exit 1
  fi
  dir=exp/compare-$(basename "$data")/$(basename "$run")
  mkdir -p "$dir"
  for part in model config.json training_done.json log.csv tensorboard; do  # the run's model and its training record
    if [ -e "$run/$part" ]; then ln -sfn "$(realpath "$run/$part")" "$dir/$part"; fi
  done
  echo "== compare: $run on $data"
  asr evaluate --run-dir "$dir" --data-dir "$data" $(printf -- '--split %s ' "${splits[@]}") \
    --strategy greedy --strategy beam --strategy beam_lm --lm "$data/lm/3gram.arpa"
  scored+=("$dir")
done
for dir in "${scored[@]}"; do
  echo "== $dir"
  asr results "$dir" "${splits[@]}"
done
others=()
for dir in "${scored[@]:1}"; do others+=(--compare "$dir"); done
asr report --run-dir "${scored[0]}" --data-dir "$data" $(printf -- '--split %s ' "${splits[@]}") ${others[@]+"${others[@]}"}
