#!/usr/bin/env bash
# Default recipe: synthetic English speech (WordNet sentences x espeak-ng voices), BiLSTM-CTC.
#   ./run.sh [--config conf/small.yaml] [--stage N] [--stop-stage N]
# Stages: 0 corpus, 1 features, 2 train, 3 evaluate (WER report), 4 ONNX export + sample transcription.
# Every stage is idempotent: re-running skips finished work and resumes interrupted training.
set -euo pipefail
cd "$(dirname "$0")"

config=conf/small.yaml
stage=0
stop_stage=4
while [ $# -gt 0 ]; do
  case "$1" in
    --config) config=$2; shift 2 ;;
    --stage) stage=$2; shift 2 ;;
    --stop-stage) stop_stage=$2; shift 2 ;;
    *) echo "run.sh: unknown option $1 (use --config, --stage, --stop-stage)" >&2; exit 2 ;;
  esac
done
name=$(basename "$config" .yaml)
data=data/$name
exp=exp/$name
splits=(dev test test_unseen_voices)

step() { [ "$stage" -le "$1" ] && [ "$stop_stage" -ge "$1" ]; }

if step 0; then
  echo "== stage 0: corpus ($config)"
  asr prepare --corpus synth_en --config "$config" --data-dir "$data"
fi
if step 1; then
  echo "== stage 1: features"
  asr features --config "$config" --data-dir "$data"
fi
if step 2; then
  echo "== stage 2: train"
  asr train --config "$config" --data-dir "$data" --run-dir "$exp"
fi
if step 3; then
  echo "== stage 3: evaluate"
  asr evaluate --run-dir "$exp" --data-dir "$data" $(printf -- '--split %s ' "${splits[@]}")
  python -m asr.results "$exp" "${splits[@]}"
fi
if step 4; then
  echo "== stage 4: export (ONNX, SavedModel) and sample transcription"
  asr export "$exp"
  sample_text="the old lighthouse keeper watched the ships sail past the rocky coast"
  espeak-ng -v en-us+m3 -s 160 -w "$exp/sample.wav" "$sample_text"
  echo "reference:  $sample_text"
  echo -n "hypothesis: "
  asr transcribe --model "$exp" "$exp/sample.wav"
fi
