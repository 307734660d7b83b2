#!/usr/bin/env bash
# Default recipe: synthetic English speech (WordNet sentences x espeak-ng, flite and festival voices; conf/general.yaml
# adds Kokoro's and hibari's neural voices), BiLSTM-CTC.
#   ./run.sh [--config conf/small.yaml] [--data DIR] [--stage N] [--stop-stage N]
# --data: the data directory (default data/<config name>); e.g. conf/streaming.yaml --data data/small trains
# the streaming model on the default run's corpus, features and LM (same corpus and features sections).
# Stages: 0 corpus (+ LM text), 1 features + word 3-gram LM, 2 train, 3 evaluate (greedy, beam, beam+LM;
# WER table and HTML report), 4 ONNX export + sample transcription.
# Every stage is idempotent: re-running skips finished work and resumes interrupted training.
set -euo pipefail
cd "$(dirname "$0")"

config=conf/small.yaml
stage=0
stop_stage=4
data=
while [ $# -gt 0 ]; do
  case "$1" in
    --config) config=$2; shift 2 ;;
    --stage) stage=$2; shift 2 ;;
    --stop-stage) stop_stage=$2; shift 2 ;;
    --data) data=$2; shift 2 ;;
    *) echo "run.sh: unknown option $1 (use --config, --data, --stage, --stop-stage)" >&2; exit 2 ;;
  esac
done
name=$(basename "$config" .yaml)
data=${data:-data/$name}
exp=exp/$name
source ./splits.sh

step() { [ "$stage" -le "$1" ] && [ "$stop_stage" -ge "$1" ]; }

if step 0; then
  echo "== stage 0: corpus ($config)"
  asr prepare --corpus synth_en --config "$config" --data-dir "$data"
fi
if step 1; then
  echo "== stage 1: features"
  asr features --config "$config" --data-dir "$data"
  # word LM: training transcripts + WordNet definitions (no dev/test sentence; `asr lm` removes them)
  asr lm --data-dir "$data" --text "$data/lm/wordnet_glosses.txt" --order 3
fi
if step 2; then
  echo "== stage 2: train"
  asr train --config "$config" --data-dir "$data" --run-dir "$exp"
fi
if step 3; then
  echo "== stage 3: evaluate"
  # every split the corpus has (test_unseen_neural where the config gives it sentences: conf/general.yaml)
  mapfile -t splits < <(scored_splits "$data")
  asr evaluate --run-dir "$exp" --data-dir "$data" $(printf -- '--split %s ' "${splits[@]}") \
    --strategy greedy --strategy beam --strategy beam_lm --lm "$data/lm/3gram.arpa"
  asr results "$exp" "${splits[@]}"
  asr report --run-dir "$exp" --data-dir "$data" $(printf -- '--split %s ' "${splits[@]}")
fi
if step 4; then
  echo "== stage 4: export (ONNX, SavedModel) and sample transcription"
  asr export "$exp"
  sample_text="the old lighthouse keeper watched the ships sail past the rocky coast"
  espeak-ng -v en-us+m3 -s 160 -w "$exp/sample.wav" "$sample_text"
  echo "reference:  $sample_text"
  echo -n "greedy:     "
  asr transcribe --model "$exp" "$exp/sample.wav"
  echo -n "with LM:    "
  asr transcribe --model "$exp" --lm "$exp/sample.wav"
  if [ -f "$exp/model/model.stream.onnx" ]; then  # a streaming model: the same file, streamed as it is spoken
    echo -n "streamed:   "
    asr transcribe --model "$exp" --stream --realtime "$exp/sample.wav"
  fi
fi
