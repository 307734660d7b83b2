# Stages shared by the real-corpus recipes; a recipe's run.sh sets these variables, then sources this file:
#   corpus        name for `asr prepare --corpus`
#   config        default config (conf/<size>.yaml)
#   eval_splits   recipe splits to evaluate; the first is the dev split LM weights are tuned on
#   word_lm       1: estimate a word 3-gram from the training transcripts and decode with it too; 0: no LM
# Options: --config FILE, --stage N, --stop-stage N, --data-dir DIR (your copy of the corpus: nothing is
# downloaded), --url URL --sha256 HEX (Common Voice downloads), --jobs N.
# Stages: 0 corpus (download unless --data-dir) + manifests, 1 features (+ LM), 2 train, 3 evaluate (WER
# table, HTML report), 4 ONNX export + transcription of the first test utterance. All idempotent.
set -euo pipefail

stage=0
stop_stage=4
corpus_copy=""
download_args=()
jobs_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --config) config=$2; shift 2 ;;
    --stage) stage=$2; shift 2 ;;
    --stop-stage) stop_stage=$2; shift 2 ;;
    --data-dir) corpus_copy=$2; shift 2 ;;
    --url|--sha256) download_args+=("$1" "$2"); shift 2 ;;
    --jobs) jobs_args=(--jobs "$2"); shift 2 ;;
    *) echo "run.sh: unknown option $1 (use --config, --stage, --stop-stage, --data-dir, --url, --sha256, --jobs)" >&2
       exit 2 ;;
  esac
done
name=$(basename "$config" .yaml)
data=data/$name
exp=exp/$name
strategies=(--strategy greedy --strategy beam)
[ "$word_lm" = 1 ] && strategies+=(--strategy beam_lm --lm "$data/lm/3gram.arpa")

step() { [ "$stage" -le "$1" ] && [ "$stop_stage" -ge "$1" ]; }

if step 0; then
  echo "== stage 0: $corpus corpus and manifests ($config)"
  if [ -n "$corpus_copy" ]; then source_args=(--source "$corpus_copy"); else source_args=(--download); fi
  asr prepare --corpus "$corpus" --config "$config" --data-dir "$data" "${source_args[@]}" \
    "${download_args[@]}" "${jobs_args[@]}"
fi
if step 1; then
  echo "== stage 1: features"
  asr features --config "$config" --data-dir "$data" "${jobs_args[@]}"
  if [ "$word_lm" = 1 ]; then asr lm --data-dir "$data" --order 3; fi
fi
if step 2; then
  echo "== stage 2: train"
  asr train --config "$config" --data-dir "$data" --run-dir "$exp"
fi
if step 3; then
  echo "== stage 3: evaluate"
  asr evaluate --run-dir "$exp" --data-dir "$data" $(printf -- '--split %s ' "${eval_splits[@]}") \
    --tune-split "${eval_splits[0]}" "${strategies[@]}"
  asr results "$exp" "${eval_splits[@]}"
  asr report --run-dir "$exp" --data-dir "$data" $(printf -- '--split %s ' "${eval_splits[@]}")
fi
if step 4; then
  echo "== stage 4: export (ONNX, SavedModel) and a transcription"
  asr export "$exp"
  first_test=$(python -c 'import json, sys; print(json.loads(open(sys.argv[1]).readline())["audio"])' \
    "$data/manifests/${eval_splits[-1]}.jsonl")
  echo "audio:      $first_test"
  asr transcribe --model "$exp" "$first_test"
fi
